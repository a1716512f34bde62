"""Penalty-exemption check (form): which violation, first time, harm, corrected → the engine's outcome."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, Section, button, citations_for, numbered
from actions.common import as_bool, entity_values, latest_text
from actions.forms import AnswerFirstForm
from actions.kb import get_kb, get_searcher
from knowledge.engines.exemption import MAYBE_EXEMPT, NOT_EXEMPT, evaluate, listed_lines
from knowledge.schema import ComplianceItem
from knowledge.search import resolve

HARM = {"none": "没有造成危害后果", "minor": "危害后果轻微", "serious": "危害后果较重"}
RESET = ["violation", "first_violation", "harm", "corrected", "minor_violation", "mitigating", "refunded"]
FACT_ENTITIES = {"first_violation", "harm", "corrected", "minor_violation", "mitigating", "refunded"}
# where to ask about local lists when none is known here (official hotlines only)
DOMAIN_HOTLINES = {
    "市场监管": "12315或12345政务服务便民热线",
    "人力资源": "12333人社服务热线或12345政务服务便民热线",
    "消防救援": "12345政务服务便民热线",
    "旅游文体": "12345政务服务便民热线",
}
# what an unknown fact would settle, in the user's words
FACT_QUESTIONS = {
    "first_violation": "是不是两年内第一次出现这种违法行为",
    "harm": "有没有造成危害后果",
    "corrected": "是否已经及时改正",
    "minor_violation": "违法行为本身是否轻微（情节轻、范围小，例如个别商品漏标价）",
    "no_actual_damage": "是否没有实际损害消费者或其他经营者的权益",
    "no_fault": "有没有证据足以证明自己没有主观过错",
}


class ValidateExemptionForm(AnswerFirstForm):
    def name(self) -> str:
        return "validate_exemption_form"

    async def extract_violation(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        """The question that opened the form usually names the violation: find it before asking."""
        if tracker.get_slot("violation") or tracker.get_slot("requested_slot") == "violation":
            return {}
        text = latest_text(tracker)
        hints = [v for v in entity_values(tracker, "violation") if v in get_kb().records]
        if not text and not hints:
            return {}
        res = resolve(get_searcher(), text, types=["compliance_item"], hint_ids=hints)
        return {"violation": res.best.record_id} if res.best and res.confident else {}

    def validate_violation(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        kb = get_kb()
        if isinstance(value, str) and isinstance(kb.records.get(value), ComplianceItem):
            return {"violation": value}
        text = str(value or "").strip()
        entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
        if len(text) < 3 or entities & FACT_ENTITIES:
            # "是第一次" answers another question: the violation is still unknown
            if len(text) >= 3:
                dispatcher.utter_message(text="收到。还需要知道是哪种违法行为，例如“没有明码标价”“灭火器过期”。")
            return {"violation": None}
        res = resolve(get_searcher(), text, types=["compliance_item"])
        if res.best and res.confident:
            return {"violation": res.best.record_id}
        if res.candidates and res.candidates[0].score >= 0.3:
            dispatcher.utter_message(
                text="是下面哪一种？",
                buttons=[button(h.title, "inform", violation=h.record_id) for h in res.candidates]
                + [button("都不是", "inform", violation=f"other:{text[:60]}")],
            )
            return {"violation": None}
        return {"violation": f"other:{text[:60]}"}

    def validate_first_violation(self, value, dispatcher, tracker, domain) -> dict:
        return {"first_violation": as_bool(value)}

    def validate_harm(self, value, dispatcher, tracker, domain) -> dict:
        return {"harm": value if value in HARM else None}

    def validate_corrected(self, value, dispatcher, tracker, domain) -> dict:
        return {"corrected": as_bool(value)}

    def validate_minor_violation(self, value, dispatcher, tracker, domain) -> dict:
        if value == "unknown":  # "说不准": answered, the card then says what 轻微 would change
            return {"minor_violation": "unknown"}
        v = as_bool(value)
        return {"minor_violation": None if v is None else str(v).lower()}

    async def required_slots(self, domain_slots: list[str], dispatcher, tracker: Tracker, domain: dict) -> list[str]:
        """违法行为轻微 decides only when there was no harm and it was corrected (第三十三条第一款前句): ask it then."""
        slots = list(await super().required_slots(domain_slots, dispatcher, tracker, domain))
        needs_minor = tracker.get_slot("harm") == "none" and as_bool(tracker.get_slot("corrected")) is True
        if "minor_violation" in slots and not needs_minor:
            slots.remove("minor_violation")
        return slots


def _facts_line(facts: dict) -> str:
    said = []
    if facts.get("first_violation") is not None:
        said.append("初次违法" if facts["first_violation"] else "不是初次违法")
    if facts.get("minor_violation") is not None:
        said.append("违法行为轻微" if facts["minor_violation"] else "违法行为不算轻微")
    if facts.get("harm") in HARM:
        said.append(HARM[facts["harm"]])
    if facts.get("corrected") is not None:
        said.append("已及时改正" if facts["corrected"] else "还没有改正")
    return "按您说的情况：" + "、".join(said) + "。" if said else ""


def _verdict_line(result) -> str:
    """The verdict in one sentence, in the law's own force: 不予 (must not), 可以不予 (may), or not at all."""
    rule = result.rule
    if result.verdict == NOT_EXEMPT:
        return (f"按行政处罚法第三十三条的一般规定，这些情况的结果是“{result.outcome}”；但本项一般不适用首违不罚、"
                "轻微不罚，原因见下方“注意”。")
    if result.verdict == MAYBE_EXEMPT:
        return "违法行为轻微、及时改正且没有造成危害后果的，依法不予处罚；但本项是否属于“轻微”要看具体情形，由执法部门认定。"
    if rule.ground == "minor":
        return "违法行为轻微、及时改正且没有造成危害后果的，法律规定“不予”处罚（不是“可以”），是否属于“轻微”由执法部门认定。"
    if rule.ground == "first_violation":
        return "初次违法、危害后果轻微并及时改正的，法律规定“可以”不予处罚：由执法部门裁量，不是一定不罚。"
    return rule.explanation


def _list_lines(result) -> list[str]:
    kb = get_kb()
    lines = []
    for x in result.lists:
        count = "" if not x.count or str(x.count) in x.title else f"（{x.count_note}{x.count}项）"
        scope = "、".join(x.domains) + "领域" if x.domains else "覆盖领域未载明"
        lines.append(f"{x.title}{count}：{x.issuer}发布，{scope}。")
    if result.item:
        lines += listed_lines(kb, result.item)
    if result.lists:
        lines.append("清单原文本助手未收录，具体事项以发布机关公布的清单为准（可拨打12345或12315查询）。")
    else:
        where = f"{result.item.domain}领域" if result.item else "这一事项"
        ask = DOMAIN_HOTLINES.get(result.item.domain if result.item else "", "12345政务服务便民热线")
        lines.append(f"本助手没有收录适用于{where}的首违不罚、轻微不罚清单；当地是否有相关清单，可以拨打{ask}询问主管部门。")
    return lines


def _open_rank(rule) -> tuple:
    return ({"minor": 0, "first_violation": 0, "no_fault": 1, "mitigating": 2}.get(rule.ground, 3), rule.priority)


def render_result(result, violation_text: str | None, facts: dict | None = None) -> Card:
    rule = result.rule
    body = [f"结论：{result.verdict}", _verdict_line(result)]
    if result.item:
        body.insert(0, f"违法行为：{result.item.title}")
    elif violation_text:
        body.insert(0, f"违法行为：{violation_text}（合规清单中没有对应条目，以下按行政处罚法的一般规定判断）")
    basis = [line for line in (_facts_line(facts or {}), f"适用：{rule.title}", rule.explanation) if line]
    if result.verdict != result.outcome:
        basis.append(f"按一般规定的结果：{result.outcome}；结合本项的情况：{result.verdict}。")
    more = [FACT_QUESTIONS[k] for k in result.missing if k in FACT_QUESTIONS]
    sections = [
        Section("判断依据", basis),
        # the grounds the form asks about first; the limitation rules (never asked) last
        Section("还可能适用", numbered(r.title for r in sorted(result.open_rules, key=_open_rank)[:3])
                + (["还需要确认：" + "；".join(more)] if more else [])),
        Section("注意", numbered(result.caveats)),
        Section("免罚清单", _list_lines(result)),
    ]
    ids = [rule.id] + ([result.item.id] if result.item else []) + [x.id for x in result.lists]
    citations = citations_for([rule.id])
    if result.item:
        citations += [c for c in citations_for([result.item.id], roles={"exemption"}) if c not in citations]
    return Card(
        topic="first_violation",
        title=f"能否免罚：{result.verdict}",
        body=body,
        sections=sections,
        kb_ids=ids,
        citations=citations,
        buttons=[button("再判断一项", "restart_form", form="exemption_form"), button("看法条原文", "ask_why"),
                 button("转人工", "handoff")],
        data={"outcome": result.outcome, "verdict": result.verdict, "rule": rule.id, "missing_facts": result.missing,
              "lists": [x.id for x in result.lists]},
    )


class ActionExemptionAnswer(Action):
    def name(self) -> str:
        return "action_exemption_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        violation = tracker.get_slot("violation") or ""
        item_id = violation if violation in kb.records else None
        facts = {
            "first_violation": as_bool(tracker.get_slot("first_violation")),
            "harm": tracker.get_slot("harm"),
            "corrected": as_bool(tracker.get_slot("corrected")),
            "minor_violation": as_bool(tracker.get_slot("minor_violation")),
            "mitigating": tracker.get_slot("mitigating") or None,
            "refunded": as_bool(tracker.get_slot("refunded")),
        }
        region = tracker.get_slot("region")
        result = evaluate(kb, facts, item_id, region if region and region != "unknown" else None)
        text = violation[6:] if violation.startswith("other:") else None
        events = render_result(result, text, facts).send(dispatcher)
        return events + [SlotSet(s, None) for s in RESET]
