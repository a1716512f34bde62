"""Knowledge questions on saved trackers: decline with where to go, complainants get where to complain."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from rasa_sdk import Tracker

from actions import compliance, fallback
from tests.actions.test_actions import card, run

TRACKERS = Path(__file__).with_name("trackers")


def asking(text: str, intent: str, confidence: float = 0.9, entities: list | None = None) -> Tracker:
    state = copy.deepcopy(json.loads((TRACKERS / "s-criminal.json").read_text(encoding="utf-8")))
    other = "ask_exemption" if intent != "ask_exemption" else "ask_compliance"
    ranking = [{"name": intent, "confidence": confidence}, {"name": other, "confidence": 1 - confidence}]
    state["latest_message"] = {"text": text, "intent": ranking[0], "intent_ranking": ranking,
                               "entities": entities or []}
    return Tracker.from_dict(state)


def test_an_out_of_scope_question_is_declined_with_its_channel_and_a_person_offered(kb):
    messages, _ = run(fallback.ActionOutOfScope(), asking("公司分红要交多少税", "out_of_scope"))
    custom, msg = card(messages)
    assert custom["topic"] == "out_of_scope" and custom["kb_ids"] == [] and custom["citations"] == []
    assert custom["data"]["declined"] and custom["data"]["referral"] == "tax"
    assert "12366" in msg["text"]
    assert any(b["payload"] == "/handoff" for b in msg["buttons"])


def test_a_near_miss_the_nlu_reads_as_out_of_scope_is_not_answered_with_a_record(kb):
    # shares 专利 / 使用费 words with records, but is a tax question
    messages, _ = run(compliance.ActionAnswerCompliance(), asking("对外支付专利使用费要交印花税吗", "out_of_scope", 0.8))
    custom, _ = card(messages)
    assert custom["topic"] == "out_of_scope" and not custom["kb_ids"]


def test_a_business_question_gets_the_penalty_and_how_to_comply(kb):
    messages, _ = run(compliance.ActionAnswerCompliance(),
                      asking("我店里卖过期食品会被罚多少钱", "ask_compliance", 0.98))
    custom, msg = card(messages)
    assert custom["kb_ids"] == ["market.food.expired_food"]
    assert "合规建议" in custom["sections"] and "处罚" in msg["text"]


def test_an_employee_asking_about_the_employer_gets_where_to_complain(kb):
    text = "我的老板不给我交社保"
    messages, _ = run(compliance.ActionAnswerCompliance(), asking(text, "ask_compliance", 0.98))
    custom, msg = card(messages)
    assert custom["topic"] == "compliance" and custom["data"].get("asker") == "employee"
    assert custom["kb_ids"] and custom["kb_ids"][0].startswith("labour.social_insurance")
    assert "12333" in msg["text"] and "仲裁" in msg["text"]
    assert custom["sections"][0] == "去哪里投诉或申请"
