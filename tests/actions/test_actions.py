"""Actions on saved trackers (recorded from real conversations): each returns the right card."""
import asyncio
import copy
import json
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import (
    compliance,
    credit_repair,
    criminal_risk,
    exemption,
    fallback,
    fee_relief,
    handoff,
    litigation_fee,
    mediation,
    questions,
    routing,
)

TRACKERS = Path(__file__).parent / "trackers"
ROOT = Path(__file__).resolve().parents[2]


def tracker(name: str, **slots) -> Tracker:
    state = json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))
    state = copy.deepcopy(state)
    state["slots"].update(slots)
    return Tracker.from_dict(state)


def run(action, t: Tracker):
    d = CollectingDispatcher()
    result = action.run(d, t, {})
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return d.messages, result


def card(messages):
    cards = [m for m in messages if m.get("custom")]
    assert cards, messages
    return cards[-1]["custom"], cards[-1]


def assert_verbatim(kb, citations):
    titles = {law.title: law for law in kb.statutes.values()}
    for c in citations:
        law = titles[c["law"]]
        assert c["quote"] in law.article(c["article"]), c
        assert c["version"] == law.version


def test_compliance_answer_for_the_slice_question(kb):
    messages, events = run(compliance.ActionAnswerCompliance(), tracker("t2"))
    custom, msg = card(messages)
    assert custom["topic"] == "compliance" and custom["kb_ids"] == ["market.food.expired_food"]
    assert len(custom["citations"]) >= 2
    assert_verbatim(kb, custom["citations"])
    assert "法律依据" in msg["text"] and "不构成法律意见" in msg["text"]
    assert any(e["event"] == "slot" and e["name"] == "last_answer" for e in events)


def test_buttons_never_show_a_payload(kb):
    messages, _ = run(compliance.ActionAnswerCompliance(), tracker("t2"))
    for m in messages:
        for b in m.get("buttons") or []:
            assert b["payload"].startswith("/") and "/" not in b["title"]


def test_fee_answer_from_the_filled_form(kb):
    messages, _ = run(litigation_fee.ActionFeeAnswer(), tracker("t3"))
    custom, msg = card(messages)
    assert custom["topic"] == "litigation_fee"
    assert custom["data"]["fee_max"] == "6900.00"  # 13,800 halved (简易程序 + 调解: one halving)
    assert "3450元" in msg["text"]  # the stacked figure is reported too
    assert "param.litigation_fee.acceptance.property" in custom["kb_ids"]
    assert_verbatim(kb, custom["citations"])


def test_fee_answer_unknown_procedure_gives_both(kb):
    messages, _ = run(litigation_fee.ActionFeeAnswer(), tracker("t3", amount=500000.0, procedure="unknown",
                                                                 ending="judgment"))
    custom, msg = card(messages)
    assert custom["data"]["fee_max"] == "8800.00" and "如果适用简易程序：4400元" in msg["text"]


def test_fee_form_asks_amount_only_when_the_case_needs_one():
    form = litigation_fee.ValidateFeeForm()
    slots = ["case_type", "amount", "procedure", "ending"]
    labour = asyncio.run(form.required_slots(slots, None, tracker("t3", case_type="labour"), {}))
    assert "amount" not in labour
    prop = asyncio.run(form.required_slots(slots, None, tracker("t3", case_type="property"), {}))
    assert "amount" in prop


def test_exemption_answer(kb):
    t = tracker("t5", violation="market.price.no_price_tag", first_violation="true", harm="minor", corrected="true")
    messages, events = run(exemption.ActionExemptionAnswer(), t)
    custom, msg = card(messages)
    assert custom["topic"] == "first_violation"
    assert custom["data"]["outcome"] == "可以不予处罚"
    assert "market.price.no_price_tag" in custom["kb_ids"]
    assert_verbatim(kb, custom["citations"])
    reset = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert {"first_violation", "harm", "corrected"} <= reset


def test_exemption_violation_text_resolves_to_an_item():
    v = exemption.ValidateExemptionForm()
    t = tracker("t2")
    assert v.validate_violation("价签上没写价格", CollectingDispatcher(), t, {})["violation"].startswith("market.price.")
    assert v.validate_first_violation("yes", CollectingDispatcher(), t, {}) == {"first_violation": True}
    assert v.validate_harm("catastrophic", CollectingDispatcher(), t, {}) == {"harm": None}
    # an answer to another question ("已经改了") is not taken as the violation
    assert v.validate_violation("已经改了", CollectingDispatcher(), tracker("t5"), {}) == {"violation": None}


def test_relief_answer_waiver_for_a_person_on_minimum_living(kb):
    messages, _ = run(fee_relief.ActionReliefAnswer(), tracker("s-relief", party_type="natural_person",
                                                                 circumstance=["minimum_living"]))
    custom, _ = card(messages)
    assert custom["topic"] == "fee_relief" and custom["data"]["reliefs"] == ["免交"]
    assert_verbatim(kb, custom["citations"])


def test_relief_answer_enterprise_never_gets_waiver(kb):
    messages, _ = run(fee_relief.ActionReliefAnswer(), tracker("s-relief", party_type="enterprise",
                                                                 circumstance=["minimum_living"]))
    custom, msg = card(messages)
    assert "免交" not in custom["data"]["reliefs"] and custom["data"]["waiver_excluded"]
    assert "免交只适用于自然人" in msg["text"]


def test_mediation_answer(kb):
    messages, _ = run(mediation.ActionMediationAnswer(), tracker("s-med"))
    custom, _ = card(messages)
    assert custom["topic"] == "mediation"
    assert custom["data"]["channels"][0] == "mediation.gx_international_centre"
    assert_verbatim(kb, custom["citations"])


def test_credit_repair_answer(kb):
    messages, _ = run(credit_repair.ActionCreditRepair(), tracker("s-credit"))
    custom, _ = card(messages)
    assert custom["topic"] == "credit_repair" and custom["kb_ids"][0].startswith("credit.abnormal")
    assert_verbatim(kb, custom["citations"])


def test_criminal_risk_overview(kb):
    messages, _ = run(criminal_risk.ActionCriminalRisk(), tracker("s-criminal"))
    custom, msg = card(messages)
    assert custom["topic"] == "criminal_risk" and len(custom["kb_ids"]) >= 15
    assert "安全生产" in msg["text"] and "税收" in msg["text"]


def test_criminal_risks_for_an_industry_are_the_ones_tagged_for_it(kb):
    """The registration push's “餐饮相关刑事风险” button: only risks data/relevance tags for 餐饮."""
    t = tracker("s-criminal")
    t.latest_message = {**t.latest_message, "text": '/ask_criminal_risk{"industry": "餐饮"}',
                        "entities": [{"entity": "industry", "value": "餐饮"}]}
    messages, _ = run(criminal_risk.ActionCriminalRisk(), t)
    custom, msg = card(messages)
    assert "criminal.food.unsafe_food" in custom["kb_ids"] and "criminal.tax.tax_evasion" in custom["kb_ids"]
    assert "criminal.finance.illegal_deposits" not in custom["kb_ids"]  # tagged for no industry
    assert "criminal.safety.major_accident" not in custom["kb_ids"] and "非法吸收公众存款罪" not in msg["text"]
    assert_verbatim(kb, custom["citations"])


def test_out_of_scope_routes_to_12348(kb):
    messages, _ = run(fallback.ActionOutOfScope(), tracker("s-oos"))
    custom, msg = card(messages)
    assert custom["topic"] == "out_of_scope" and "12348" in msg["text"]


def test_why_explains_the_last_answer_verbatim(kb):
    messages, _ = run(fallback.ActionExplainBasis(), tracker("s-why"))
    custom, msg = card(messages)
    assert custom["citations"]
    for c in custom["citations"]:
        assert c["quote"] in msg["text"]


def test_handoff_pauses_the_conversation():
    messages, events = run(handoff.ActionHandoff(), tracker("t2"))
    custom, _ = card(messages)
    assert custom["topic"] == "handoff"
    assert any(e["event"] == "pause" for e in events)


def test_fallback_offers_topics_as_buttons_with_the_question_kept():
    t = tracker("t2")
    t.latest_message["intent_ranking"] = [{"name": "ask_compliance", "confidence": 0.3},
                                          {"name": "ask_exemption", "confidence": 0.2}]
    messages, _ = run(fallback.ActionDefaultAskAffirmation(), t)
    buttons = messages[0]["buttons"]
    assert buttons[0]["title"] == fallback.INTENT_LABELS["ask_compliance"]
    assert json.loads(buttons[0]["payload"][len("/ask_compliance"):])["query"] == t.latest_message["text"]


def test_a_fact_after_a_fee_answer_reopens_the_fee_form():
    messages, events = run(routing.ActionHandleInform(), tracker("t3"))
    assert any(e["event"] == "followup" and e["name"] == "fee_form" for e in events)


def test_every_form_slot_has_a_question_and_every_domain_action_exists():
    domain = yaml.safe_load((ROOT / "bot" / "domain" / "forms.yml").read_text(encoding="utf-8"))
    for form in domain["forms"].values():
        for slot in form["required_slots"]:
            assert slot in questions.QUESTIONS
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    entries = yaml.safe_load((ROOT / "bot" / "domain" / "actions.yml").read_text(encoding="utf-8"))["actions"]
    declared = [next(iter(e)) if isinstance(e, dict) else e for e in entries]
    missing = [a for a in declared if a not in executor.actions]
    assert not missing, missing


@pytest.mark.parametrize("name", [p.stem for p in TRACKERS.glob("*.json")])
def test_every_saved_tracker_loads(name):
    assert tracker(name).sender_id
