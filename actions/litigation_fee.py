"""Court-fee calculator (form): case type, amount, procedure, ending → fee with per-bracket breakdown."""
from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.cards import Card, button, citations_for, citations_from_references
from actions.common import latest_text
from actions.compliance import render_guide
from actions.kb import get_kb, get_searcher
from knowledge.engines import fee_schedule as fs
from knowledge.schema import Guide
from knowledge.search import resolve

AMOUNT_CASES = {"property", "ip"}
FEE_ENTITIES = {"case_type", "amount", "application_type", "procedure", "ending"}


def fee_rule_question(tracker: Tracker) -> Guide | None:
    """"诉讼费谁出/什么时候交/能退吗" asks about the rules, not for a figure: the matching guide, if any."""
    entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
    text = latest_text(tracker)
    if entities & FEE_ENTITIES or not text:
        return None
    res = resolve(get_searcher(), text, types=["guide"])
    guide = get_kb().records.get(res.best.record_id) if res.best and res.confident else None
    return guide if isinstance(guide, Guide) and guide.guide_topic == "litigation_fee" else None


def fee_rules(ending: str) -> tuple[list[str], list[str]]:
    """Who prepays and who finally bears the fee, from the guides (lines, record ids)."""
    kb = get_kb()
    prepay, bearing = kb.records.get("guide.litigation_fee.prepayment"), kb.records.get("guide.litigation_fee.bearing")
    lines, ids = [], []
    if prepay:
        lines.append("谁预交：" + prepay.body[0])
        ids.append(prepay.id)
    if bearing:
        extra = {"mediation": 1, "withdrawal": 2}.get(ending)
        lines.append("谁负担：" + bearing.body[0] + (bearing.body[extra] if extra is not None else ""))
        ids.append(bearing.id)
    return lines, ids
AMOUNT_APPLICATIONS = {"enforcement", "preservation", "payment_order", "bankruptcy"}


class ValidateFeeForm(FormValidationAction):
    def name(self) -> str:
        return "validate_fee_form"

    async def required_slots(self, domain_slots: list[str], dispatcher, tracker: Tracker, domain: DomainDict) -> list[str]:
        if tracker.get_slot("requested_slot") is None and not tracker.get_slot("case_type") \
                and fee_rule_question(tracker):
            return []  # a question about the rules: answered from the guide, nothing to ask
        application = tracker.get_slot("application_type")
        if application in fs.APPLICATION_TYPES:
            return ["amount"] if application in AMOUNT_APPLICATIONS else []
        case = tracker.get_slot("case_type")
        slots = list(domain_slots)
        if case is not None and case not in AMOUNT_CASES:
            slots.remove("amount")
        return slots

    def validate_case_type(self, value, dispatcher, tracker, domain) -> dict:
        return {"case_type": value if value in fs.CASE_TYPES else None}

    def validate_amount(self, value, dispatcher, tracker, domain) -> dict:
        if value == "unknown":
            return {"amount": "unknown"}
        try:
            amount = float(value)
        except (TypeError, ValueError):
            return {"amount": None}
        if amount <= 0 or amount > 1e13:
            dispatcher.utter_message(text="这个金额看起来不对，请再核对一下（例如“50万”）。")
            return {"amount": None}
        return {"amount": amount}

    def validate_procedure(self, value, dispatcher, tracker, domain) -> dict:
        return {"procedure": value if value in (*fs.PROCEDURES, "unknown") else None}

    def validate_ending(self, value, dispatcher, tracker, domain) -> dict:
        return {"ending": value if value in (*fs.ENDINGS, "unknown") else None}


def _breakdown(result: fs.FeeResult) -> list[str]:
    """One line per bracket: the article's own words, then the arithmetic."""
    lines = []
    for ln in result.lines:
        fee = fs.yuan(ln.fee_max) if ln.fee_min == ln.fee_max else f"{fs.yuan(ln.fee_min)}至{fs.yuan(ln.fee_max)}"
        label = ln.label.rstrip("；。：;")
        if ln.base is not None and ln.rule.endswith("%"):
            lines.append(f"· {label} → {fs.yuan(ln.base)} × {ln.rule} = {fee}")
        else:
            lines.append(f"· {label} → {fee}")
    return lines


def render_fee(case_type: str, amount, procedure: str, ending: str, application: str | None) -> Card:
    kb = get_kb()
    amt = None if amount in (None, "unknown") else amount
    body: list[str] = []
    if application in fs.APPLICATION_TYPES:
        if amt is None and application in AMOUNT_APPLICATIONS and application != "enforcement":
            return _scale_only("litigation_fee.acceptance.property")
        result = fs.application_fee(application, amt, params=kb.parameters)
        title = f"{result.label}申请费：{fs.describe(result)}"
        body += [f"金额：{fs.yuan(result.amount)}" if result.amount else "不涉及金额", "计算过程：", *_breakdown(result)]
        body += result.notes
        results = [result]
    else:
        if case_type in AMOUNT_CASES and amt is None and case_type == "property":
            return _scale_only("litigation_fee.acceptance.property")
        proc = "ordinary" if procedure in (None, "unknown") else procedure
        end = "judgment" if ending in (None, "unknown") else ending
        result = fs.acceptance_fee(case_type, amt, proc, end, params=kb.parameters)
        results = [result]
        title = f"{result.label.removesuffix('案件')}案件受理费：{fs.describe(result)}"
        facts = [result.label, f"金额{fs.yuan(result.amount)}" if result.amount else None,
                 fs.PROCEDURES[proc] + ("（未确定，按普通程序）" if procedure in (None, "unknown") else ""),
                 fs.ENDINGS[end] + ("（未确定，按判决）" if ending in (None, "unknown") else "")]
        body.append("计算条件：" + "，".join(f for f in facts if f))
        body += ["计算过程：", *_breakdown(result)]
        if result.reductions:
            body.append(f"全额{fs.describe_full(result)}，" + "，".join(r for r, _, _ in result.reductions)
                        + f"后为{fs.describe(result)}。")
        if procedure in (None, "unknown") and result.full_max > 0:
            simple = fs.acceptance_fee(case_type, amt, "simplified", end, params=kb.parameters)
            body.append(f"如果适用简易程序：{fs.describe(simple)}。")
            results.append(simple)
        if ending in (None, "unknown"):
            med = fs.acceptance_fee(case_type, amt, proc, "mediation", params=kb.parameters)
            body.append(f"如果调解结案或撤诉：{fs.describe(med)}。")
            results.append(med)
        body += result.notes
    rule_lines, rule_ids = fee_rules(ending if application not in fs.APPLICATION_TYPES else None)
    if application not in fs.APPLICATION_TYPES:
        body += rule_lines
    else:
        rule_ids = []
    refs = [r for res in results for r in res.all_references()]
    return Card(
        topic="litigation_fee",
        title=title,
        body=body,
        kb_ids=sorted({f"param.{p.name}" for p in kb.parameters for r in p.all_references() if r in refs}) + rule_ids,
        citations=citations_from_references(refs) + citations_for(rule_ids),
        buttons=_follow_ups(procedure, ending),
        data={"fee_min": str(result.fee_min), "fee_max": str(result.fee_max), "case_type": result.kind,
              "amount": str(result.amount) if result.amount is not None else None},
    )


def _follow_ups(procedure: str | None, ending: str | None) -> list[dict]:
    out = []
    if procedure == "simplified":
        out.append(button("如果是普通程序", "inform", procedure="ordinary"))
    else:
        out.append(button("如果是简易程序", "inform", procedure="simplified"))
    if ending in ("mediation", "withdrawal"):
        out.append(button("如果判决结案", "inform", ending="judgment"))
    else:
        out.append(button("如果调解结案", "inform", ending="mediation"))
    return out + [button("诉讼费能缓交减交吗", "ask_fee_relief"), button("重新计算", "restart_form", form="fee_form")]


def _scale_only(param: str) -> Card:
    kb = get_kb()
    p = kb.parameters[param]
    scale = p.at(dt.date.today())
    body = ["没有金额时无法算出具体数额。财产案件按诉讼请求金额分段累计："]
    body += [f"· {b.reference.quote}" for b in scale.brackets if b.reference]
    body.append("告诉我金额（例如“50万”）就能算出具体数字。")
    return Card(topic="litigation_fee", title="财产案件受理费标准", body=body, kb_ids=[f"param.{p.name}"],
                citations=citations_from_references(p.all_references()),
                buttons=[button("重新计算", "restart_form", form="fee_form")])


class ActionFeeAnswer(Action):
    def name(self) -> str:
        return "action_fee_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        s = tracker.get_slot
        guide = fee_rule_question(tracker) if not (s("case_type") or s("application_type")) else None
        if guide is not None:
            return render_guide(guide).send(dispatcher)
        try:
            card = render_fee(s("case_type"), s("amount"), s("procedure"), s("ending"), s("application_type"))
        except fs.FeeInputError as e:
            dispatcher.utter_message(text=f"没法计算：{e}。", buttons=[button("重新计算", "restart_form", form="fee_form")])
            return []
        return card.send(dispatcher)
