"""New subjects reach the user as answers: procedure guides as mediation-topic cards (no dispute-type question
first), business-status guides as compliance cards, 限高/失信 consequences as credit-repair cards, tobacco crime as a
criminal-risk card; and their example questions train the intent that shows them."""
import asyncio
import copy
import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import compliance, credit_repair, criminal_risk
from bot.nlu import generate

TRACKERS = Path(__file__).parent / "trackers"


def asking(text: str, intent: str) -> Tracker:
    state = copy.deepcopy(json.loads((TRACKERS / "t2.json").read_text(encoding="utf-8")))
    state["latest_message"] = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}
    return Tracker.from_dict(state)


def answer(action, t: Tracker) -> dict:
    d = CollectingDispatcher()
    result = action.run(d, t, {})
    if asyncio.iscoroutine(result):
        asyncio.run(result)
    cards = [m["custom"] for m in d.messages if m.get("custom")]
    assert cards, d.messages
    return cards[-1]


def verbatim(kb, citations):
    by_title = {law.title: law for law in kb.statutes.values()}
    return all(c["quote"] in by_title[c["law"]].article(c["article"]) for c in citations)


@pytest.mark.parametrize("question,rid,topic", [
    ("申请执行的期限是多长", "guide.procedure.enforcement_deadline", "mediation"),
    ("仲裁赢了对方拒不履行裁决怎么处理", "guide.procedure.arbitral_award_enforcement", "mediation"),
    ("劳动仲裁一裁终局是什么意思", "guide.procedure.labour_final_award", "mediation"),
    ("营业执照吊销后怎么处理", "guide.business_status.licence_revoked", "compliance"),
    ("店名用了知名品牌的名字违法吗", "market.trademark.shop_name", "compliance"),
])
def test_guides_and_items_are_answered_with_their_topic(kb, question, rid, topic):
    custom = answer(compliance.ActionAnswerCompliance(), asking(question, "ask_compliance"))
    assert custom["kb_ids"] == [rid] and custom["topic"] == topic
    assert custom["citations"] and verbatim(kb, custom["citations"])


def test_restrictions_of_high_consumption_are_a_credit_card(kb):
    custom = answer(credit_repair.ActionCreditRepair(), asking("被限消了能不能坐动车", "ask_credit_repair"))
    assert custom["topic"] == "credit_repair" and "credit.high_consumption.restrictions" in custom["kb_ids"]
    assert any(c["article"] == "第三条" and "软卧" in c["quote"] for c in custom["citations"])


def test_unlicensed_tobacco_crime_is_a_criminal_risk_card(kb):
    custom = answer(criminal_risk.ActionCriminalRisk(), asking("无证卖香烟会构成犯罪吗", "ask_criminal_risk"))
    assert custom["topic"] == "criminal_risk" and custom["kb_ids"] == ["criminal.tobacco.illegal_business"]
    assert {c["article"] for c in custom["citations"]} >= {"第二百二十五条", "第五十七条"}


def test_procedure_and_business_status_examples_train_the_intent_that_answers_them(kb):
    examples = set(generate.intent_examples(kb)["ask_compliance"])
    for rid in ("guide.procedure.enforcement_deadline", "guide.business_status.legal_representative"):
        assert set(kb.records[rid].examples) <= examples, rid
