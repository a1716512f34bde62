"""Answer first, end to end through the trained model: the first reply to a question that carries its facts is
a card, not a question; a payload with an amount that is not a number neither crashes nor poisons the
conversation; a correction recomputes."""
import json
import urllib.request

import pytest

from tests.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack():
    s = Stack().start()
    yield s
    s.stop()


def turn(stack, sender: str, text: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}, ensure_ascii=False).encode()
    req = urllib.request.Request(stack.url + "/api/messages", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        messages = json.load(r)
    assert messages, text
    return messages


def card(messages: list[dict], topic: str) -> dict | None:
    return next((m for m in messages if (m.get("custom") or {}).get("topic") == topic), None)


@pytest.mark.parametrize("text, topic, check", [
    ("我们公司起诉客户追讨货款50万元，走普通程序，案件受理费要交多少？", "litigation_fee", ("fee_max", "8800.00")),
    ("起诉金额1.2亿，普通程序，案件受理费多少", "litigation_fee", ("fee_max", "641800.00")),
    ("员工和公司打劳动争议官司，诉讼费怎么收？", "litigation_fee", ("fee_max", "10.00")),
    ("我们公司想申请免交诉讼费，可以吗", "fee_relief", ("party_type", "enterprise")),
    ("公司在梧州，员工对社保费缴费有争议，找哪里处理？", "mediation", ("region", "梧州市")),
])
def test_a_question_with_its_facts_gets_a_card_on_the_first_reply(stack, text, topic, check):
    messages = turn(stack, f"e2e-first-{abs(hash(text)) % 10**8}", text)
    answer = card(messages, topic)
    assert answer, messages
    key, value = check
    assert answer["custom"]["data"][key] == value


def test_the_welcome_fee_button_asks_for_the_amount_then_answers(stack):
    s = "e2e-welcome-fee"
    first = turn(stack, s, "打官司要交多少诉讼费")
    assert not any(m.get("custom") for m in first) and any("金额" in (m.get("text") or "") for m in first)
    answer = card(turn(stack, s, "50万"), "litigation_fee")
    assert answer["custom"]["data"]["fee_max"] == "8800.00"


def test_a_nan_amount_payload_does_not_poison_the_conversation(stack):
    s = "e2e-nan"
    turn(stack, s, "帮我算一下诉讼费")
    bad = turn(stack, s, '/inform{"amount":"NaN"}')
    assert any("金额" in (m.get("text") or "") for m in bad)
    answer = card(turn(stack, s, "50万"), "litigation_fee")
    assert answer["custom"]["data"]["fee_max"] == "8800.00"
    again = card(turn(stack, s, "那100万呢"), "litigation_fee")
    assert again["custom"]["data"]["fee_max"] == "13800.00"


def test_a_negative_amount_is_refused_and_a_correction_recomputes(stack):
    s = "e2e-negative"
    refused = turn(stack, s, "-5000元的欠款官司诉讼费多少")
    assert any("负数" in (m.get("text") or "") for m in refused)
    assert card(turn(stack, s, "5000元"), "litigation_fee")["custom"]["data"]["fee_max"] == "50.00"
    fixed = card(turn(stack, s, "说错了，是300万"), "litigation_fee")
    assert fixed["custom"]["data"]["fee_max"] == "30800.00"
