"""Form turns beyond the first message: misrouted questions, procedure questions, corrections, bad amounts,
"不知道", and the buttons the forms offer."""
import json
import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import forms, routing
from actions.registry import registry
from tests.actions.conversation import answer_turn, first_turn, tracker_for

ROOT = Path(__file__).resolve().parents[2]


def followups(turn_events):
    return [e["name"] for e in turn_events if e.get("event") == "followup"]


@pytest.mark.parametrize("form, text, target", [
    ("mediation_form", "合同纠纷，起诉标的100000元，普通程序，判决结案，受理费多少", "fee_form"),
    ("relief_form", "员工和公司打劳动争议官司，诉讼费怎么收？", "fee_form"),
    ("fee_form", "公司资金紧张，诉讼费能不能缓交", "relief_form"),
    ("mediation_form", "调解书有没有时间限制", routing.KNOWLEDGE_ANSWER),
    ("mediation_form", "法院调解书和判决书效力一样吗", routing.KNOWLEDGE_ANSWER),
    ("mediation_form", "仲裁裁决后对方不履行怎么办", routing.KNOWLEDGE_ANSWER),
    ("mediation_form", "申请执行的期限是多久", routing.KNOWLEDGE_ANSWER),
    ("mediation_form", "人民调解协议有法律效力吗", routing.KNOWLEDGE_ANSWER),
])
def test_a_question_the_nlu_sent_to_the_wrong_form_goes_where_its_words_point(form, text, target):
    assert routing.better_form(form, tracker_for(text, registry().forms[form].intent)) == target


@pytest.mark.parametrize("form, text", [
    ("mediation_form", "纠纷去哪里调解"),
    ("mediation_form", "客户欠货款不还，柳州有什么地方可以调解"),
    ("mediation_form", "调解协议对方不履行，去哪里申请执行"),  # where to go: the routing answers it
    ("fee_form", "50万的合同纠纷诉讼费多少"),
    ("relief_form", "我们公司想申请免交诉讼费，可以吗"),
])
def test_a_question_in_the_right_form_stays(form, text):
    assert routing.better_form(form, tracker_for(text, registry().forms[form].intent)) is None


def test_a_misrouted_fee_question_is_handed_to_the_fee_form_which_answers_it(kb):
    text = "合同纠纷，起诉标的100000元，普通程序，判决结案，受理费多少"
    from actions.mediation import ActionMediationAnswer

    events = ActionMediationAnswer().run(CollectingDispatcher(), tracker_for(text, "ask_mediation"), {})
    assert followups(events) == ["fee_form"]
    turn = first_turn("fee_form", text, intent="ask_mediation")
    assert turn.requested is None and turn.card()["data"]["fee_max"] == "2300.00"


def test_a_procedure_question_is_never_answered_by_the_mediation_form(kb):
    turn = first_turn("mediation_form", "法院调解书和判决书效力一样吗")
    assert turn.requested is None
    assert all((m.get("custom") or {}).get("title", "").startswith("纠纷解决渠道") is False for m in turn.messages)


@pytest.mark.parametrize("payload_value", ["NaN", "nan", "Infinity", "-Infinity", "abc"])
def test_an_amount_that_is_not_a_number_gets_a_message_and_does_not_poison_the_conversation(payload_value, kb):
    ents = [{"entity": "amount", "value": payload_value}]
    turn = first_turn("fee_form", "", intent="inform", entities=ents)
    assert turn.slots["amount"] is None and turn.requested == "amount"
    assert any("没能读出金额" in (m.get("text") or "") for m in turn.messages)
    later = answer_turn("fee_form", "50万", "inform", turn.slots, "amount")
    assert later.requested is None and later.card()["data"]["fee_max"] == "8800.00"


def test_a_poisoned_slot_left_by_an_older_version_is_cleaned_not_computed(kb):
    turn = first_turn("fee_form", "合同纠纷诉讼费多少", slots={"amount": "NaN", "procedure": "unknown",
                                                         "last_answer": {"topic": "litigation_fee"}})
    assert turn.slots["amount"] is None and turn.requested == "amount"


@pytest.mark.parametrize("text", ["-5000元的欠款官司诉讼费多少", "负5000元的案子受理费"])
def test_a_negative_amount_is_refused_with_a_clear_message(text, kb):
    turn = first_turn("fee_form", text)
    assert turn.slots["amount"] is None and turn.requested == "amount"
    assert any("负数" in (m.get("text") or "") for m in turn.messages)


def test_an_amount_beyond_the_rules_is_refused_with_a_clear_message(kb):
    turn = first_turn("fee_form", "标的100万亿的官司诉讼费")
    assert turn.slots["amount"] is None and turn.requested == "amount"
    assert any("超出" in (m.get("text") or "") for m in turn.messages)


def test_a_correction_replaces_the_amount_and_recomputes(kb):
    first = first_turn("fee_form", "欠款200万的合同纠纷诉讼费多少")
    assert first.card()["data"]["fee_max"] == "22800.00"
    slots = dict(first.slots, last_answer={"topic": "litigation_fee"})
    handled = routing.ActionHandleInform().run(CollectingDispatcher(), tracker_for("说错了，是300万", "inform", slots), {})
    assert followups(handled) == ["fee_form"]
    again = first_turn("fee_form", "说错了，是300万", intent="inform", slots=slots)
    assert again.slots["amount"] == 3_000_000 and again.slots["case_type"] == "property"
    assert again.card()["data"]["fee_max"] == "30800.00"  # 22,800 + 1,000,000 × 0.8%


def test_a_variant_button_recomputes_with_the_other_facts_kept(kb):
    first = first_turn("fee_form", "50万的合同纠纷诉讼费多少")
    button = next(b for b in first.messages[-1]["buttons"] if b["title"] == "如果调解结案")
    value = json.loads(button["payload"][len("/inform"):])
    slots = dict(first.slots, last_answer={"topic": "litigation_fee"})
    again = first_turn("fee_form", "", intent="inform", slots=slots,
                       entities=[{"entity": k, "value": v} for k, v in value.items()])
    assert again.card()["data"]["fee_max"] == "4400.00" and again.card()["data"]["ending"] == "mediation"


def test_dont_know_to_the_amount_question_answers_with_the_scale_and_no_scolding(kb):
    asked = first_turn("fee_form", "帮我算一下诉讼费")
    assert asked.requested == "amount"
    t = tracker_for("不知道", "dont_know", asked.slots, active_loop="fee_form", requested="amount")
    d = CollectingDispatcher()
    forms.ActionSlotHelp().run(d, t, {})
    assert d.messages == []
    after = answer_turn("fee_form", "不知道", "dont_know", asked.slots, "amount")
    assert after.requested is None and after.card()["title"] == "案件受理费标准"


def test_an_unusable_answer_is_still_explained():
    t = tracker_for("啊啊啊", "nonsense", {}, active_loop="fee_form", requested="amount")
    d = CollectingDispatcher()
    forms.ActionSlotHelp().run(d, t, {})
    assert "金额" in d.messages[0]["text"]


def test_the_welcome_and_menu_buttons_lead_to_the_answer_they_name(kb):
    """打官司要交多少诉讼费 → the calculator asking for the amount (its one question)."""
    widget = (ROOT / "bot" / "web" / "static" / "widget.js").read_text(encoding="utf-8")
    suggestions = json.loads(re.search(r"var SUGGESTIONS = (\[.*?\]);", widget).group(1))
    assert "打官司要交多少诉讼费" in suggestions
    assert first_turn("fee_form", "打官司要交多少诉讼费").requested == "amount"
    menu = yaml.safe_load((ROOT / "bot" / "domain" / "responses.yml").read_text(encoding="utf-8"))
    payloads = {b["payload"] for b in menu["responses"]["utter_greet"][0]["buttons"]}
    expected = {"/ask_litigation_fee": "amount", "/ask_fee_relief": None, "/ask_mediation": None}
    for payload, asks in expected.items():
        assert payload in payloads
        form = registry().form_of_intent(payload[1:])
        turn = first_turn(form, "")
        assert turn.requested == asks
        if asks is None:
            assert turn.card()["topic"] == registry().forms[form].topic


def _offered_buttons(kb):
    cases = [("fee_form", "50万的合同纠纷诉讼费多少"), ("fee_form", "财产保全费怎么算"), ("fee_form", "帮我算一下诉讼费"),
             ("relief_form", "诉讼费能缓交吗"), ("mediation_form", "纠纷去哪里调解"),
             ("mediation_form", "柳州的纠纷去哪里调解")]
    out = []
    for form, text in cases:
        for m in first_turn(form, text).messages:
            out += m.get("buttons") or []
    return out + [b for q in registry().slots.values() if q.question for b in q.question.get("buttons") or []]


def test_every_button_carries_a_known_intent_and_values_the_form_accepts(kb):
    domain = {}
    for f in (ROOT / "bot" / "domain").glob("*.yml"):
        for k, v in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).items():
            domain.setdefault(k, v if not isinstance(v, (list, dict)) else type(v)())
            if isinstance(v, list):
                domain[k] += v
            elif isinstance(v, dict):
                domain[k].update(v)
    intents = set(domain["intents"])
    buttons = _offered_buttons(kb)
    assert len(buttons) > 15
    for b in buttons:
        m = re.fullmatch(r"/(\w+)(\{.*\})?", b["payload"])
        assert m and m.group(1) in intents, b
        for entity, value in json.loads(m.group(2) or "{}").items():
            assert entity in domain["entities"], b
            for slot in registry().slot_of_entity(entity):
                spec = registry().slots[slot]
                if spec.type == "categorical":
                    assert value in spec.values, b
                if spec.type == "bool":
                    assert isinstance(value, bool), b
            if entity == "kb_id":
                assert value in kb.records, b
