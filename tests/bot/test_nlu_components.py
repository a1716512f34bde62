"""The custom NLU components: traditional → simplified without moving offsets, knowledge entities, amounts."""
import pytest

from bot.nlu.knowledge_entities import KnowledgeEntityExtractor, build_patterns
from bot.nlu.normalizer import normalize_same_length


@pytest.fixture(scope="module")
def extractor(kb):
    return KnowledgeEntityExtractor({}, None, None, build_patterns(kb))


def ents(extractor, text):
    return {(e["entity"], str(e["value"])) for e in extractor.extract(normalize_same_length(text))}


def test_normalizer_converts_and_keeps_length():
    for text in ["店裡賣過期食品會怎麼罰", "ＫＴＶ接待未成年人", "正常的简体句子"]:
        out = normalize_same_length(text)
        assert len(out) == len(text)
    assert normalize_same_length("店裡賣過期食品會怎麼罰") == "店里卖过期食品会怎么罚"
    assert normalize_same_length("ＫＴＶ") == "KTV"


def test_knowledge_entities(extractor):
    e = ents(extractor, "我在柳州开饭店，卖过期食品会被罚多少钱？")
    assert {("region", "柳州市"), ("industry", "餐饮"), ("violation", "market.food.expired_food")} <= e


def test_longest_match_wins_within_an_entity(extractor):
    assert ("first_violation", "false") in ents(extractor, "不是第一次了")
    assert ("first_violation", "true") not in ents(extractor, "不是第一次了")
    assert ("first_violation", "true") in ents(extractor, "这是第一次")


def test_one_span_can_carry_two_entity_types(extractor):
    e = ents(extractor, "合同纠纷")
    assert {("case_type", "property"), ("dispute_type", "合同纠纷")} <= e


@pytest.mark.parametrize("text, value", [("50万的官司", 500000.0), ("五十万元", 500000.0), ("1.2亿", 120000000.0)])
def test_amounts_become_numbers(extractor, text, value):
    assert ("amount", str(value)) in ents(extractor, text)


def test_traditional_input_finds_the_same_entities(extractor):
    assert ents(extractor, "店裡賣過期食品會怎麼罰") == ents(extractor, "店里卖过期食品会怎么罚")


def test_patterns_cover_every_compliance_item(kb):
    patterns = build_patterns(kb)
    named = {p["value"] for p in patterns if p["entity"] == "violation"}
    assert named == {r.id for r in kb.records.values() if r.type == "compliance_item"}
