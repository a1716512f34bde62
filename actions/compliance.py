"""Compliance Q&A: "我店里卖过期食品会怎么罚" → the matching list item, "which of these two", or a decline.

The decision whether the knowledge base answers at all is actions/answering.py (one path for every knowledge
question). The card fits the asker: a business owner gets the penalty and how to comply; an employee or a
consumer asking about a business's violation gets what the law requires and where to complain or apply first.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import clarify_card, decide_question, decline_card
from actions.cards import Card, Section, button, citations_for, numbered
from actions.common import entity_values, first_entity, latest_intent, latest_text
from actions.kb import get_kb
from knowledge.answering import asker_of
from knowledge.engines.exemption import listed_lines
from knowledge.schema import DOMAINS, ComplianceItem, CreditRepairProcedure, CriminalRisk, Guide, Record

EXEMPTION_TEXT = {
    "first_violation": "可能适用首违不罚（初次违法、危害后果轻微并及时改正的，可以不予处罚）",
    "minor": "可能适用轻微不罚（违法行为轻微并及时改正、没有造成危害后果的，不予处罚）",
    "first_violation_or_minor": "可能适用首违不罚或轻微不罚",
    "none": "一般不适用首违不罚、轻微不罚",
    "case_by_case": "是否免罚要看具体情形",
}


# Where an employee or a consumer takes a business's violation, by the list's domain (official channels only).
COMPLAINT_ROUTES = {
    "人力资源": ["向用人单位所在地的劳动保障监察机构投诉举报（可拨打12333咨询）；",
             "工资、社保待遇、解除合同等争议，可以申请劳动人事争议仲裁（一般先仲裁，对裁决不服再起诉）。"],
    "市场监管": ["向市场监管部门投诉举报：拨打12315或通过全国12315平台；", "与商家的消费纠纷可以先协商，也可以请求消费者协会调解。"],
    "消防救援": ["向当地消防救援机构举报火灾隐患，或拨打12345政务服务便民热线转办；", "遇到火灾立即拨打119。"],
    "旅游文体": ["向当地文化和旅游主管部门投诉，或拨打12345政务服务便民热线转办；", "旅游服务纠纷也可以请求旅游投诉受理机构调解。"],
}


def render_for_complainant(item: ComplianceItem, asker: str) -> Card:
    """The employee's or consumer's view of a violation: what the law requires, where to complain."""
    who = "员工" if asker == "employee" else "消费者"
    verdict = [f"依法，{item.violation}属于违法行为，由{item.department}查处。",
               f"{who}可以：" + COMPLAINT_ROUTES[item.domain][0]]
    sections = [
        Section("去哪里投诉或申请", COMPLAINT_ROUTES[item.domain]),
        Section("法律怎么要求", [item.violation, "常见表现：" + "；".join(item.typical_forms[:4])]),
        Section("经营者会受到的处罚", [item.penalty]),
        Section("提示", list(item.caveats)),
    ]
    return Card(
        topic="compliance",
        title=f"{who}维权：{item.title}",
        body=verdict,
        sections=sections,
        kb_ids=[item.id],
        citations=citations_for([item.id]),
        buttons=[button("看法条原文", "ask_why"), button("转人工", "handoff")],
        data={"domain": item.domain, "department": item.department, "asker": asker},
    )


def render_item(item: ComplianceItem) -> Card:
    kb = get_kb()
    penalty_refs = [c for c in item.citations if c.role == "penalty"]
    penalty_where = "、".join(f"《{kb.statutes[c.law].title}》{c.article}" for c in penalty_refs[:2])
    verdict = [f"处罚：{item.penalty}（{penalty_where}）", f"能否免罚：{EXEMPTION_TEXT[item.exemption.possible]}。"]
    sections = [
        Section("违法行为", [item.violation, "典型表现：" + "；".join(item.typical_forms[:4])]),
        Section("合规建议", numbered(item.advice)),
        Section("能否免罚", [item.exemption.reason, *listed_lines(kb, item)]),
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
    return Card(topic=record_topic(guide), title=guide.title, body=body, kb_ids=[guide.id], citations=citations_for([guide.id]))


def record_topic(record: Record) -> str:
    """The card topic of a record (a guide's depends on what it guides)."""
    if isinstance(record, Guide):
        return {"litigation_info": "litigation_info", "litigation_fee": "litigation_fee",
                "procedure": "mediation"}.get(record.guide_topic, "compliance")
    return record.topic


def render_record(record: Record, question: str = "") -> Card:
    """The answer card for any record the decision picked."""
    if isinstance(record, ComplianceItem):
        asker = asker_of(question)
        if asker in ("employee", "consumer") and record.domain in COMPLAINT_ROUTES:
            return render_for_complainant(record, asker)
        return render_item(record)
    if isinstance(record, Guide):
        return render_guide(record)
    if isinstance(record, CreditRepairProcedure):
        from actions.credit_repair import procedure_card

        return procedure_card([record])
    if isinstance(record, CriminalRisk):
        from actions.criminal_risk import risk_card

        return risk_card([record])
    return Card(topic=record.topic, title=record.title, body=list(getattr(record, "caveats", []))[:2],
                kb_ids=[record.id], citations=citations_for([record.id]),
                buttons=[button("看法条原文", "ask_why"), button("转人工", "handoff")])


class ActionAnswerCompliance(Action):
    """Every knowledge question that is not a form: answer from a record, ask between two, or decline."""

    def name(self) -> str:
        return "action_answer_compliance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        picked = first_entity(tracker, "kb_id")
        question = latest_text(tracker)
        if picked in kb.records:
            return render_record(kb.records[picked], question).send(dispatcher)
        hints = [v for v in entity_values(tracker, "violation") if v in kb.records]
        if not question and hints:
            return render_record(kb.records[hints[0]], question).send(dispatcher)
        decision = decide_question(tracker, question, hint_ids=hints)
        if decision.kind == "answer":
            return render_record(kb.records[decision.hits[0].record_id], question).send(dispatcher)
        if decision.kind == "clarify":
            return clarify_card(decision, "ask_compliance", question).send(dispatcher)
        in_scope_kind = latest_intent(tracker) not in ("out_of_scope", "nonsense", "nlu_fallback")
        return decline_card(question, decision.referral, in_scope_kind).send(dispatcher)


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
