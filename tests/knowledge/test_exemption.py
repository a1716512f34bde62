"""The exemption engine on each rule's edge cases (行政处罚法 第三十二、三十三、三十六条; 明码标价规定 第二十六条)."""
import pytest

from knowledge.engines.exemption import evaluate


def outcome(kb, item=None, **facts):
    return evaluate(kb, facts, item).outcome


def test_minor_corrected_no_harm_is_not_punished(kb):
    assert outcome(kb, harm="none", corrected=True) == "不予处罚"


def test_first_violation_minor_harm_corrected_may_be_exempted(kb):
    r = evaluate(kb, {"first_violation": True, "harm": "minor", "corrected": True})
    assert r.outcome == "可以不予处罚"
    assert r.rule.id == "exemption.first_violation"
    assert any(c.article == "第三十三条" for c in r.rule.citations)


@pytest.mark.parametrize(
    "facts",
    [
        {"first_violation": True, "harm": "serious", "corrected": True},
        {"first_violation": True, "harm": "minor", "corrected": False},
        {"first_violation": False, "harm": "minor", "corrected": True},
    ],
)
def test_each_missing_condition_of_first_violation_means_a_penalty(kb, facts):
    assert outcome(kb, **facts) == "一般处罚"


def test_no_fault_with_evidence(kb):
    assert outcome(kb, no_fault=True, harm="serious") == "不予处罚"


def test_mitigating_circumstances_require_lighter_penalty(kb):
    assert outcome(kb, harm="serious", corrected=True, mitigating=["eliminated_harm"]) == "应当从轻或者减轻处罚"


def test_limitation_two_and_five_years(kb):
    assert outcome(kb, years_undiscovered=2.5, life_health_finance=False) == "不再给予处罚"
    assert outcome(kb, years_undiscovered=1.9, life_health_finance=False) == "一般处罚"
    assert outcome(kb, years_undiscovered=3, life_health_finance=True) == "一般处罚"
    assert outcome(kb, years_undiscovered=5, life_health_finance=True) == "不再给予处罚"


def test_price_rules_apply_only_to_price_items(kb):
    price_item = next(r.id for r in kb.records.values() if r.type == "compliance_item"
                      and any(c.law == "明码标价和禁止价格欺诈规定" for c in r.citations))
    assert outcome(kb, price_item, refunded=True, harm="serious") == "应当从轻或者减轻处罚"
    assert outcome(kb, "market.food.expired_food", refunded=True, harm="serious") == "一般处罚"


def test_unknown_facts_are_listed_as_what_would_decide(kb):
    r = evaluate(kb, {"first_violation": True})
    assert r.outcome == "一般处罚"
    assert {"harm", "corrected"} <= set(r.missing)


def test_item_caveat_when_the_item_excludes_exemption(kb):
    r = evaluate(kb, {"first_violation": True, "harm": "none", "corrected": True}, "market.food.no_licence")
    assert r.item.id == "market.food.no_licence"
    assert r.caveats and "无证" in r.caveats[0]


def test_bad_facts_are_refused(kb):
    with pytest.raises(ValueError):
        evaluate(kb, {"harm": "catastrophic"})
    with pytest.raises(ValueError):
        evaluate(kb, {"mood": "sad"})
