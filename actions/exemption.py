"""Penalty-exemption check (form): which violation, first time, harm, corrected → the engine's outcome."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, button, citations_for, numbered
from actions.common import as_bool, entity_values, latest_text
from actions.forms import AnswerFirstForm
from actions.kb import get_kb, get_searcher
from knowledge.engines.exemption import evaluate
from knowledge.schema import ComplianceItem, ExemptionList
from knowledge.search import resolve

HARM = {"none": "没有造成危害后果", "minor": "危害后果轻微", "serious": "危害后果较重"}
RESET = ["violation", "first_violation", "harm", "corrected", "mitigating", "refunded"]


FACT_ENTITIES = {"first_violation", "harm", "corrected", "mitigating", "refunded"}


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


def render_result(result, violation_text: str | None) -> Card:
    kb = get_kb()
    rule = result.rule
    body = [f"判断结果：{result.outcome}", f"依据：{rule.title}", rule.explanation]
    if result.item:
        body.insert(0, f"违法行为：{result.item.title}")
    elif violation_text:
        body.insert(0, f"违法行为：{violation_text}（合规清单中没有对应条目，以下按行政处罚法的一般规定判断）")
    better = [r for r in result.open_rules]
    if better:
        body.append("还可能适用：")
        body += numbered(f"{r.title}" for r in better[:3])
    if result.caveats:
        body.append("注意：")
        body += numbered(result.caveats)
    lists = [x for x in kb.of_type(ExemptionList) if x.region == "广西" and x.kind in ("首违不罚", "轻微不罚")]
    if lists:
        body.append(
            "当地清单：" + "，".join(f"{x.issuer}{x.kind}{x.count}项" if x.count else f"{x.issuer}{x.kind}清单" for x in lists)
            + "。清单原文本助手未收录，具体事项以主管部门公布的清单为准（可拨打12345或12315查询）。"
        )
    ids = [rule.id] + ([result.item.id] if result.item else []) + [x.id for x in lists]
    citations = citations_for([rule.id])
    if result.item:
        citations += [c for c in citations_for([result.item.id], roles={"exemption"}) if c not in citations]
    return Card(
        topic="first_violation",
        title=f"能否免罚：{result.outcome}",
        body=body,
        kb_ids=ids,
        citations=citations,
        buttons=[button("再判断一项", "restart_form", form="exemption_form"), button("看法条原文", "ask_why"),
                 button("转人工", "handoff")],
        data={"outcome": result.outcome, "rule": rule.id, "missing_facts": result.missing},
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
            "mitigating": tracker.get_slot("mitigating") or None,
            "refunded": as_bool(tracker.get_slot("refunded")),
        }
        result = evaluate(kb, facts, item_id)
        text = violation[6:] if violation.startswith("other:") else None
        events = render_result(result, text).send(dispatcher)
        return events + [SlotSet(s, None) for s in RESET]
