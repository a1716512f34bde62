"""The fee-relief card for a 个体工商户: a natural person (免交 open), and the mandatory 减交 when business fails."""
from actions import fee_relief
from tests.actions.test_actions import assert_verbatim, card, run, tracker


def answer(**slots):
    messages, _ = run(fee_relief.ActionReliefAnswer(), tracker("s-relief", **slots))
    custom, msg = card(messages)
    return custom, msg["text"]


def test_individual_business_on_minimum_living_gets_a_waiver(kb):
    custom, text = answer(party_type="individual_business", circumstance=["minimum_living"])
    assert custom["data"]["reliefs"] == ["免交"] and not custom["data"]["waiver_excluded"]
    assert "个体工商户" in text and "不能申请免交" not in text
    assert any(c["article"] == "第五十四条" for c in custom["citations"])
    assert_verbatim(kb, custom["citations"])


def test_individual_business_short_of_money_is_told_of_the_mandatory_reduction(kb):
    custom, text = answer(party_type="individual_business", circumstance=["funds_shortage"])
    assert custom["data"]["open_reliefs"] == ["减交"]
    assert "家庭生产经营难以为继" in text and "法院应当准予" in text
    assert text.index("▍还可能适用") < text.index("家庭生产经营难以为继")


def test_enterprise_still_cannot_get_a_waiver(kb):
    custom, text = answer(party_type="enterprise", circumstance=["minimum_living"])
    assert "免交" not in custom["data"]["reliefs"] and "不能申请免交" in text
