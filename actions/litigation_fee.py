"""Court-fee calculator (form): the figure first, with what was assumed, and the variants a button away.

Only the amount of a property case is ever asked: without it there is no figure.  Everything else has a correct
default the card states — an amount claimed makes it a property case, the procedure is 普通程序 and the case ends
by 判决 unless the user said otherwise — and the card shows the 简易程序 and 调解/撤诉 figures beside it.
"""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.cards import Card, Section, button, citations_for, citations_from_references
from actions.common import latest_text
from actions.compliance import render_guide
from actions.facts import positive_number
from actions.forms import AnswerFirstForm
from actions.kb import get_kb, get_searcher
from actions.registry import registry
from actions.routing import better_form, hand_over
from knowledge.amounts import MAX_AMOUNT as _MAX
from knowledge.engines import fee_schedule as fs
from knowledge.schema import Guide
from knowledge.search import resolve

AMOUNT_CASES = {"property"}  # a case type whose fee cannot be given without the amount
AMOUNT_APPLICATIONS = {"payment_order", "bankruptcy"}  # applications whose fee needs the amount
MAX_AMOUNT = float(_MAX)  # 十万亿元: beyond it the articles' brackets are not meant to be read
FEE_SLOTS = ("case_type", "amount", "procedure", "ending", "application_type")


# Words of a question about the fee rules (who pays, when, refunds, appeals) rather than for a figure.
RULE_WORDS = ("谁出", "谁交", "谁付", "谁承担", "谁负担", "谁来出", "什么时候交", "何时交", "多久内", "几天内", "退", "上诉",
              "再审", "预交", "先垫", "垫付", "败诉", "打赢", "赢了", "输了", "不交会", "逾期", "反诉")


def fee_rule_question(tracker: Tracker) -> Guide | None:
    """"诉讼费谁出/什么时候交/能退吗" asks about the rules, not for a figure: the matching guide, if any."""
    text = latest_text(tracker)
    if registry_facts(tracker) or not text or not any(w in text for w in RULE_WORDS):
        return None
    res = resolve(get_searcher(), text, types=["guide"])
    guide = get_kb().records.get(res.best.record_id) if res.best and res.confident else None
    return guide if isinstance(guide, Guide) and guide.guide_topic == "litigation_fee" else None


STANDARD_WORDS = ("怎么算", "怎么计算", "如何计算", "怎样计算", "计算方法", "计算标准", "收费标准", "标准", "怎么收", "如何收",
                  "怎么收费", "怎么规定", "规定")


def asks_for_the_standard(tracker: Tracker) -> bool:
    """"诉讼费怎么算", "受理费收费标准" ask how fees are set, not for one case's figure."""
    text = latest_text(tracker)
    return bool(text) and any(w in text for w in STANDARD_WORDS)


def registry_facts(tracker: Tracker) -> dict:
    from actions.facts import facts_of_message

    return facts_of_message(tracker.latest_message or {}, FEE_SLOTS)


def fee_rules(ending: str | None) -> tuple[list[str], list[str]]:
    """Who prepays and who finally bears the fee, from the guides (lines, record ids)."""
    kb = get_kb()
    prepay, bearing = kb.records.get("guide.litigation_fee.prepayment"), kb.records.get("guide.litigation_fee.bearing")
    lines, ids = [], []
    if prepay:
        lines.append("谁预交：" + prepay.body[0])
        ids.append(prepay.id)
    if bearing:
        extra = {"mediation": 1, "withdrawal": 2}.get(ending or "")
        lines.append("谁负担：" + bearing.body[0] + (bearing.body[extra] if extra is not None else ""))
        ids.append(bearing.id)
    return lines, ids


def as_amount(value: Any) -> float | None:
    return positive_number(value, MAX_AMOUNT)


class ValidateFeeForm(AnswerFirstForm):
    def name(self) -> str:
        return "validate_fee_form"

    def implied_by(self, stated: dict, values: dict) -> dict:
        """A case type stated now means a case's acceptance fee, not the application asked about before."""
        if "case_type" in stated and "application_type" not in stated and values.get("application_type"):
            return {"application_type": None}
        return {}

    async def required_slots(self, domain_slots: list[str], dispatcher, tracker: Tracker, domain: DomainDict) -> list[str]:
        if better_form("fee_form", tracker):
            return []  # another form's question: the answer hands it over
        if tracker.get_slot("requested_slot") is None and not tracker.get_slot("case_type") \
                and fee_rule_question(tracker):
            return []  # a question about the rules: answered from the guide, nothing to ask
        application = tracker.get_slot("application_type")
        if application in fs.APPLICATION_TYPES:
            return ["amount"] if application in AMOUNT_APPLICATIONS else []
        case = tracker.get_slot("case_type")
        if case is None and tracker.get_slot("requested_slot") is None and asks_for_the_standard(tracker):
            return []  # "诉讼费怎么算/收费标准": the standard is the answer; the amount would only narrow it
        return ["amount"] if case is None or case in AMOUNT_CASES else []

    def validate_case_type(self, value, dispatcher, tracker, domain) -> dict:
        return {"case_type": value if value in fs.CASE_TYPES else None}

    def validate_application_type(self, value, dispatcher, tracker, domain) -> dict:
        return {"application_type": value if value in fs.APPLICATION_TYPES else None}

    def validate_amount(self, value, dispatcher, tracker, domain) -> dict:
        try:
            amount = float(value)
        except (TypeError, ValueError):
            amount = math.nan
        if not math.isfinite(amount):
            dispatcher.utter_message(text="没能读出金额，请写成数字，例如“50万”“120000元”。")
            return {"amount": None}
        if amount < 0:
            dispatcher.utter_message(text=f"金额不能是负数（您写的是{amount:g}元），请写诉讼请求的金额，例如“5000元”。")
            return {"amount": None}
        if amount == 0:
            dispatcher.utter_message(text="金额是0元吗？请写诉讼请求的金额，例如“5000元”；不涉及金额的案件点下面的类型。")
            return {"amount": None}
        if amount > MAX_AMOUNT:
            dispatcher.utter_message(text="这个金额超过十万亿元，超出了可计算的范围，请再核对一下（例如“50万”“1.2亿”）。")
            return {"amount": None}
        return {"amount": amount}

    def validate_procedure(self, value, dispatcher, tracker, domain) -> dict:
        return {"procedure": value if value in fs.PROCEDURES else None}

    def validate_ending(self, value, dispatcher, tracker, domain) -> dict:
        return {"ending": value if value in fs.ENDINGS else None}


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


def _amount_text(amount: Decimal | None) -> str | None:
    """金额50万元 / 金额1.2亿元 / 金额10001元: the way people say it, exact."""
    if not amount:
        return None
    if amount >= 10**8 and amount % 10**6 == 0:
        return f"金额{(amount / 10**8).normalize():f}亿元"
    if amount >= 10**4 and amount % 100 == 0:
        return f"金额{(amount / 10**4).normalize():f}万元"
    return f"金额{fs.yuan(amount)}"


def render_application(application: str, amount: float | None) -> Card:
    kb = get_kb()
    if amount is None and application in AMOUNT_APPLICATIONS:
        return _scale_only("litigation_fee.acceptance.property")
    result = fs.application_fee(application, amount, params=kb.parameters)
    label = result.label.removeprefix("申请") + "申请费"
    verdict = [f"{label}{fs.describe(result)}" + (f"（{_amount_text(result.amount)}）" if result.amount else "") + "。"]
    if amount is None and application == "preservation":
        verdict.append("这是不涉及财产数额（或财产数额不超过1000元）的标准；保全财产的，按财产数额分段计算，最多5000元，"
                       "告诉我保全金额就能算出具体数字。")
    elif amount is None and application == "enforcement":
        verdict.append("这是没有执行金额时的标准；有执行金额的按金额分段计算，告诉我金额就能算出具体数字。")
    refs = result.all_references()
    scale = []
    if amount is None and application in ("preservation", "enforcement"):
        p = kb.parameters[f"litigation_fee.application.{application}"]
        scale = [f"· {b.reference.quote}" for b in p.at(dt.date.today()).brackets if b.reference]
        refs += [r for r in p.all_references() if r not in refs]
        if application == "preservation":
            cap = kb.parameters["litigation_fee.application.preservation_cap"]
            scale += [f"· {r.quote}" for r in cap.references]
            refs += [r for r in cap.references if r not in refs]
    return Card(
        topic="litigation_fee",
        title=f"{label}：{fs.describe(result)}",
        body=verdict,
        sections=[Section("计算过程", _breakdown(result)), Section("有金额时的标准", scale),
                  Section("提示", list(result.notes))],
        kb_ids=_param_ids(refs),
        citations=citations_from_references(refs),
        buttons=[button("案件受理费是多少", "ask_litigation_fee"), button("诉讼费能缓交减交吗", "ask_fee_relief"),
                 button("重新计算", "restart_form", form="fee_form")],
        data={"fee_min": str(result.fee_min), "fee_max": str(result.fee_max), "application_type": application,
              "amount": str(result.amount) if result.amount is not None else None},
    )


def render_fee(case_type: str | None, amount: Any, procedure: str | None, ending: str | None,
               application: str | None = None) -> Card:
    """The fee card: the figure and what it assumed first, then the arithmetic, the variants and who pays."""
    amt = as_amount(amount)
    if application in fs.APPLICATION_TYPES:
        return render_application(application, amt)
    assumed, assumed_slots = [], []
    if case_type not in fs.CASE_TYPES:
        if amt is None:
            return _scale_only("litigation_fee.acceptance.property")
        case_type = "property"
        assumed.append("按财产案件计算（诉讼请求是给付金钱）")
        assumed_slots.append("case_type")
    if case_type in AMOUNT_CASES and amt is None:
        return _scale_only("litigation_fee.acceptance.property")
    defaults = {s: registry().slots[s].default for s in ("procedure", "ending")}
    proc = procedure if procedure in fs.PROCEDURES else defaults["procedure"]
    end = ending if ending in fs.ENDINGS else defaults["ending"]
    if procedure not in fs.PROCEDURES:
        assumed.append(f"按{fs.PROCEDURES[proc]}")
        assumed_slots.append("procedure")
    if ending not in fs.ENDINGS:
        assumed.append(f"按{fs.ENDINGS[end]}结案")
        assumed_slots.append("ending")
    kb = get_kb()
    result = fs.acceptance_fee(case_type, amt, proc, end, params=kb.parameters)
    results = [result]
    facts = [result.label, _amount_text(result.amount), fs.PROCEDURES[proc], fs.ENDINGS[end]]
    verdict = [f"案件受理费{fs.describe(result)}（{'，'.join(f for f in facts if f)}）。"]
    if assumed:
        verdict.append("您没有说明的，" + "，".join(assumed) + "。")

    variants = []
    if proc != "simplified" and result.full_max > 0:
        simple = fs.acceptance_fee(case_type, amt, "simplified", end, params=kb.parameters)
        variants.append(f"如果适用简易程序：{fs.describe(simple)}（减半）。")
        results.append(simple)
    if end == "judgment":
        med = fs.acceptance_fee(case_type, amt, proc, "mediation", params=kb.parameters)
        variants.append(f"如果调解结案或撤诉：{fs.describe(med)}（减半，多交的部分退还）。")
        results.append(med)
    elif result.full_max > 0:
        variants.append(f"如果判决结案：{fs.describe_full(result)}（不减半）。")
    if variants:
        verdict.append("；".join(v.rstrip("。") for v in variants) + "。")
    arithmetic = _breakdown(result)
    if result.reductions:
        arithmetic.append(f"全额{fs.describe_full(result)}，" + "，".join(r for r, _, _ in result.reductions)
                          + f"后为{fs.describe(result)}。")
    rule_lines, rule_ids = fee_rules(end)
    refs = [r for res in results for r in res.all_references()]
    return Card(
        topic="litigation_fee",
        title=f"{result.label.removesuffix('案件')}案件受理费：{fs.describe(result)}",
        body=verdict,
        sections=[
            Section("计算过程", arithmetic),
            Section("谁交、谁负担", rule_lines),
            Section("提示", list(result.notes)),
        ],
        kb_ids=_param_ids(refs) + rule_ids,
        citations=citations_from_references(refs) + citations_for(rule_ids),
        buttons=_follow_ups(proc, end),
        data={"fee_min": str(result.fee_min), "fee_max": str(result.fee_max), "case_type": result.kind,
              "amount": str(result.amount) if result.amount is not None else None, "procedure": proc, "ending": end,
              "assumed": assumed_slots},
    )


def _param_ids(refs) -> list[str]:
    kb = get_kb()
    return sorted({f"param.{p.name}" for p in kb.parameters for r in p.all_references() if r in refs})


def _follow_ups(procedure: str, ending: str) -> list[dict]:
    out = [button("如果是普通程序", "inform", procedure="ordinary") if procedure == "simplified"
           else button("如果是简易程序", "inform", procedure="simplified")]
    if ending == "judgment":
        out += [button("如果调解结案", "inform", ending="mediation"), button("如果撤诉", "inform", ending="withdrawal")]
    else:
        out.append(button("如果判决结案", "inform", ending="judgment"))
    return out + [button("诉讼费能缓交减交吗", "ask_fee_relief"), button("重新计算", "restart_form", form="fee_form")]


def _scale_only(param: str) -> Card:
    """The fee standard: what a question without an amount can be answered with (第十三条 and the halvings)."""
    kb = get_kb()
    p = kb.parameters[param]
    scale = p.at(dt.date.today())
    fixed = []
    refs = list(p.all_references())
    extra = {"divorce": "divorce_property", "personality": "personality_damages", "ip": "ip_no_amount"}
    for case in ("labour", "divorce", "personality", "ip", "admin_other", "admin_special", "other_non_property"):
        r = fs.acceptance_fee(case, None, params=kb.parameters)
        line = f"· {r.label}：每件{fs.describe(r)}"
        if case in extra:  # the article's own words for the part that depends on an amount
            ref = kb.parameters[f"litigation_fee.acceptance.{extra[case]}"].references[-1]
            line += f"（{ref.quote.split('；', 1)[-1] if case == 'ip' else ref.quote}）"
            refs.append(ref)
        fixed.append(line)
        refs += r.all_references()
    halved = fs.acceptance_fee("labour", None, "simplified", "mediation", params=kb.parameters)
    refs += [ref for _, _, ref in halved.reductions]
    return Card(
        topic="litigation_fee",
        title="案件受理费标准",
        body=["要钱的案件（合同、欠款、借贷、赔偿）按诉讼请求的金额分段累计交纳；劳动争议每件10元，离婚、行政等按件交纳。",
              "告诉我金额（例如“50万”）就能算出具体数字；适用简易程序、调解结案或撤诉的减半。"],
        sections=[Section("财产案件（按金额分段累计）", [f"· {b.reference.quote}" for b in scale.brackets if b.reference]),
                  Section("按件交纳的案件", fixed),
                  Section("减半", [f"· {ref.quote}" for _, _, ref in halved.reductions])],
        kb_ids=_param_ids(refs),
        citations=citations_from_references(refs),
        buttons=[button("劳动争议", "inform", case_type="labour"), button("离婚", "inform", case_type="divorce"),
                 button("诉讼费能缓交减交吗", "ask_fee_relief"), button("重新计算", "restart_form", form="fee_form")],
    )


class ActionFeeAnswer(Action):
    def name(self) -> str:
        return "action_fee_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        target = better_form("fee_form", tracker)
        if target:
            return hand_over(target, dispatcher, tracker, domain)
        s = tracker.get_slot
        guide = fee_rule_question(tracker) if not (s("case_type") or s("application_type")) else None
        if guide is not None:
            return render_guide(guide).send(dispatcher)
        try:
            card = render_fee(s("case_type"), s("amount"), s("procedure"), s("ending"), s("application_type"))
        except fs.FeeInputError as e:
            # what the engine refuses is cleared, so the next fee question in this conversation starts clean
            dispatcher.utter_message(text=f"没法计算：{e}。", buttons=[button("重新计算", "restart_form", form="fee_form")])
            return [SlotSet(slot, None) for slot in FEE_SLOTS]
        said = approximate_amount(latest_text(tracker), as_amount(s("amount")))
        if said:
            card.body.insert(1, f"您说的是“{said}”，按{fs.yuan(Decimal(str(as_amount(s('amount')))))}计算；"
                                "实际起诉金额多出的部分按对应比例另加。")
        return card.send(dispatcher)


def approximate_amount(text: str, amount: float | None) -> str | None:
    """The words of an approximate amount ("9万多") the card's figure was computed from, if any."""
    if amount is None or not text:
        return None
    from knowledge.amounts import find_amounts

    return next((a.text for a in find_amounts(text) if a.approximate and float(a.value) == amount), None)
