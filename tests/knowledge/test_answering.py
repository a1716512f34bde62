"""The answer decision: answer, ask between two, or decline with the right place to go."""
from __future__ import annotations

import pytest

from knowledge.answering import AnswerModel, asker_of, decide, features, load_model, referral_for
from knowledge.search import Hit

CONFIDENT = AnswerModel(weights={"bias": -3.0, "dense_gap": 100.0, "p_out_of_scope": -10.0},
                        answer_threshold=0.6, clarify_threshold=0.3)


def hit(record_id: str, score: float, dense: float, type_: str = "compliance_item", lexical: float = 1.0) -> Hit:
    return Hit(record_id, type_, record_id, score, (), dense, lexical)


@pytest.mark.parametrize("question, channel", [
    ("对外支付专利使用费要交印花税吗", "12366"),
    ("老板拖欠工资三个月了去哪里告", "12333"),
    ("网购的东西商家不给退款", "12315"),
    ("判决生效了对方不履行怎么申请执行", "法院"),
    ("小区物业乱收停车费", "12345"),
    ("离婚后孩子抚养权归谁", "12348"),
])
def test_a_declined_question_is_sent_to_the_channel_for_its_kind(question, channel):
    assert channel in referral_for(question).channel


@pytest.mark.parametrize("question, asker", [
    ("我的老板不给我交社保", "employee"),
    ("公司拖欠工资怎么办", "employee"),
    ("我店里卖过期食品会被罚多少", "business"),
    ("我买的预付卡商家跑路了，投诉到哪里", "consumer"),
    ("灭火器过期了怎么罚", "unknown"),
])
def test_who_is_asking_is_read_from_how_the_question_is_put(question, asker):
    assert asker_of(question) == asker


def test_no_hits_is_a_decline_with_a_referral():
    d = decide("随便问问", [], model=CONFIDENT)
    assert d.kind == "decline" and d.referral is not None and d.hits == ()


def test_a_clear_best_record_is_answered():
    hits = [hit("market.a", 2.0, 0.95), hit("market.b", 1.0, 0.88), hit("fire.c", 0.9, 0.87)]
    d = decide("卖过期食品会被罚多少钱", hits, [{"name": "ask_compliance", "confidence": 0.9}], model=CONFIDENT)
    assert d.kind == "answer" and d.hits[0].record_id == "market.a"


def test_an_out_of_scope_reading_of_the_nlu_declines_even_a_close_record():
    hits = [hit("market.a", 2.0, 0.95), hit("market.b", 1.0, 0.88)]
    d = decide("公司股权怎么转让", hits, [{"name": "out_of_scope", "confidence": 0.9}], model=CONFIDENT)
    assert d.kind == "decline"


def test_two_close_records_of_one_area_are_offered_as_a_choice_but_not_records_of_two_areas():
    unsure = AnswerModel(weights={"bias": -0.4}, answer_threshold=0.6, clarify_threshold=0.3)  # p = 0.40
    close = [hit("labour.a", 2.0, 0.9), hit("labour.b", 1.95, 0.9)]
    d = decide("员工的事", close, [{"name": "ask_compliance", "confidence": 0.9}], model=unsure)
    assert d.kind == "clarify" and [h.record_id for h in d.hits] == ["labour.a", "labour.b"]
    apart = [hit("labour.a", 2.0, 0.9), hit("market.b", 1.95, 0.9)]
    d = decide("员工的事", apart, [{"name": "ask_compliance", "confidence": 0.9}], model=unsure)
    assert d.kind == "decline"


def test_features_see_whether_the_record_fits_the_intent():
    hits = [hit("criminal.a", 2.0, 0.9, type_="criminal_risk"), hit("market.b", 1.0, 0.88)]
    fits = features("问题", hits, [{"name": "ask_criminal_risk", "confidence": 0.8}])
    misfits = features("问题", hits, [{"name": "ask_compliance", "confidence": 0.8}])
    assert fits["type_fits_intent"] == 1.0 and misfits["type_fits_intent"] == 0.0


def test_the_shipped_model_is_calibrated_and_sane():
    model = load_model()
    assert 0 < model.clarify_threshold <= model.answer_threshold < 1
    assert model.weights["p_out_of_scope"] < 0  # the more the NLU reads it as out of scope, the less we answer


def test_a_record_every_signal_agrees_on_is_answered_even_below_the_threshold():
    strict = AnswerModel(weights={"bias": -5.0}, answer_threshold=0.9, clarify_threshold=0.8)
    hits = [hit("labour.a", 2.0, 0.93), hit("labour.b", 1.2, 0.90)]
    sure = [{"name": "ask_compliance", "confidence": 0.95}]
    assert decide("我的老板不给我交社保", hits, sure, model=strict).kind == "answer"
    unsure = [{"name": "ask_compliance", "confidence": 0.6}, {"name": "out_of_scope", "confidence": 0.4}]
    assert decide("我的老板不给我交社保", hits, unsure, model=strict).kind == "decline"
    far = [hit("labour.a", 2.0, 0.90), hit("labour.b", 1.2, 0.88)]  # no text of the record says nearly this
    assert decide("我的老板不给我交社保", far, sure, model=strict).kind == "decline"


def test_a_question_that_names_the_record_is_answered():
    strict = AnswerModel(weights={"bias": -5.0}, answer_threshold=0.9, clarify_threshold=0.8)
    named = Hit("market.price.no_price_tag", "compliance_item", "未明码标价", 2.0, ("明码标价",), 0.91, 1.0)
    hits = [named, hit("market.price.other", 1.6, 0.92)]
    sure = [{"name": "ask_compliance", "confidence": 0.95}]
    assert decide("没有明码标价会被罚吗", hits, sure, model=strict).kind == "answer"
    unnamed = Hit("market.price.no_price_tag", "compliance_item", "未明码标价", 2.0, (), 0.91, 1.0)
    assert decide("价签的事", [unnamed, hits[1]], sure, model=strict).kind == "decline"
