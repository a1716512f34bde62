"""Compliance Q&A: "我店里卖过期食品会怎么罚" → the matching list item(s), or "did you mean"."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, Section, button, citations_for, numbered
from actions.common import entity_values, first_entity, latest_text
from actions.kb import get_kb, get_searcher
from knowledge.schema import DOMAINS, ComplianceItem, Guide
from knowledge.search import resolve

EXEMPTION_TEXT = {
    "first_violation": "可能适用首违不罚（初次违法、危害后果轻微并及时改正的，可以不予处罚）",
    "minor": "可能适用轻微不罚（违法行为轻微并及时改正、没有造成危害后果的，不予处罚）",
    "first_violation_or_minor": "可能适用首违不罚或轻微不罚",
    "none": "一般不适用首违不罚、轻微不罚",
    "case_by_case": "是否免罚要看具体情形",
}


def render_item(item: ComplianceItem) -> Card:
    kb = get_kb()
    penalty_refs = [c for c in item.citations if c.role == "penalty"]
    penalty_where = "、".join(f"《{kb.statutes[c.law].title}》{c.article}" for c in penalty_refs[:2])
    verdict = [f"处罚：{item.penalty}（{penalty_where}）", f"能否免罚：{EXEMPTION_TEXT[item.exemption.possible]}。"]
    sections = [
        Section("违法行为", [item.violation, "典型表现：" + "；".join(item.typical_forms[:4])]),
        Section("合规建议", numbered(item.advice)),
        Section("能否免罚", [item.exemption.reason]),
        Section("指导部门", [item.department, f"发生频率：{item.frequency}（{item.frequency_basis}）"]),
        Section("提示", list(item.caveats)),
    ]
    return Card(
        topic="compliance",
        title=f"{item.title}（{item.domain}）",
        body=verdict,
        sections=sections,
        kb_ids=[item.id],
        citations=citations_for([item.id]),
        buttons=[
            button("第一次被查，能不罚吗？", "ask_exemption", violation=item.id),
            button("看法条原文", "ask_why"),
            button("转人工", "handoff"),
        ],
        data={"domain": item.domain, "department": item.department, "frequency": item.frequency},
    )


def render_guide(guide: Guide) -> Card:
    body = list(guide.body) + numbered(guide.next_steps)
    if guide.contact:
        body.append(f"咨询渠道：{guide.contact}")
    body += [f"提示：{c}" for c in guide.caveats]
    topic = {"litigation_info": "litigation_info", "litigation_fee": "litigation_fee",
             "procedure": "mediation"}.get(guide.guide_topic, "compliance")
    return Card(topic=topic, title=guide.title, body=body, kb_ids=[guide.id], citations=citations_for([guide.id]))


def did_you_mean(candidates, topic: str, intent: str, question: str = "") -> Card:
    kb = get_kb()
    return Card(
        topic=topic,
        title="您想问的是哪一项？",
        body=["找到几条相近的内容，请选一项："] + numbered(h.title for h in candidates),
        kb_ids=[h.record_id for h in candidates],
        citations=[],
        buttons=[button(h.title, intent, kb_id=h.record_id) for h in candidates]
        + [button("都不是，转人工", "handoff")],
        data={"question": question, "candidates": [kb.records[h.record_id].title for h in candidates]},
        disclaimer=False,
    )


def no_match(topic: str) -> Card:
    return Card(
        topic=topic,
        title="没有找到对应的合规条目",
        body=[
            "我的合规清单里暂时没有与这个问题直接对应的条目。可以换个说法（说清楚做了什么、在哪个行业），"
            "或按领域浏览常见违法行为；也可以转人工，或拨打12345政务服务便民热线咨询主管部门。"
        ],
        buttons=[button(d, "browse_compliance", domain=d) for d in DOMAINS] + [button("转人工", "handoff")],
        data={"unanswered": True},
        disclaimer=False,
    )


class ActionAnswerCompliance(Action):
    def name(self) -> str:
        return "action_answer_compliance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        picked = first_entity(tracker, "kb_id")
        if picked in kb.records and isinstance(kb.records[picked], (ComplianceItem, Guide)):
            return self._answer(kb.records[picked], dispatcher)
        question = latest_text(tracker)
        hints = [v for v in entity_values(tracker, "violation") if v in kb.records]
        if not question and not hints:
            return no_match("compliance").send(dispatcher)
        res = resolve(get_searcher(), question, types=["compliance_item", "guide"], hint_ids=hints)
        if res.best and res.confident:
            return self._answer(kb.records[res.best.record_id], dispatcher)
        if res.candidates and res.candidates[0].score >= 0.25:
            return did_you_mean(res.candidates, "compliance", "ask_compliance", question).send(dispatcher)
        return no_match("compliance").send(dispatcher)

    @staticmethod
    def _answer(record, dispatcher) -> list:
        card = render_item(record) if isinstance(record, ComplianceItem) else render_guide(record)
        return card.send(dispatcher)


class ActionBrowseCompliance(Action):
    LIMIT = 8

    def name(self) -> str:
        return "action_browse_compliance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        area = first_entity(tracker, "domain")
        industry = first_entity(tracker, "industry")
        items = kb.of_type(ComplianceItem)
        if industry:
            items = [i for i in items if industry in i.industries]
        if area:
            items = [i for i in items if i.domain == area]
        if not (area or industry):
            counts = {d: sum(1 for i in items if i.domain == d) for d in DOMAINS}
            card = Card(
                topic="compliance",
                title="经营主体行政合规指导清单",
                body=["按领域整理了经营中高频出现的违法行为，每项都有法律依据、处罚、合规建议和指导部门："]
                + [f"{d}：{n}项" for d, n in counts.items()]
                + ["也可以直接说您的行业，例如“开餐馆要注意什么”。"],
                buttons=[button(f"{d}（{n}项）", "browse_compliance", domain=d) for d, n in counts.items()],
                disclaimer=False,
            )
            return card.send(dispatcher)
        order = {"高": 0, "中": 1, "低": 2}
        items.sort(key=lambda i: (order[i.frequency], i.id))
        shown = items[: self.LIMIT]
        label = "、".join(x for x in (area, industry) if x)
        card = Card(
            topic="compliance",
            title=f"{label}常见违法行为",
            body=[f"共{len(items)}项，按发生频率排列，前{len(shown)}项：", *numbered(f"{i.title}（频率{i.frequency}）" for i in shown),
                  "点选一项查看依据、处罚和合规建议，或直接描述您的情况。"],
            kb_ids=[i.id for i in shown],
            buttons=[button(i.title, "ask_compliance", kb_id=i.id) for i in shown[:6]],
            disclaimer=False,
        )
        return card.send(dispatcher)
