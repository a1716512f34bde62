"""The exemption engine on each rule's edge cases (行政处罚法 第三十二、三十三、三十六条; 明码标价规定 第二十六条)."""
import pytest

from knowledge.engines.exemption import evaluate


def outcome(kb, item=None, **facts):
    return evaluate(kb, facts, item).outcome


def test_minor_corrected_no_harm_is_not_punished(kb):
    assert outcome(kb, minor_violation=True, harm="none", corrected=True) == "不予处罚"


def test_no_harm_and_corrected_is_not_enough_without_a_minor_violation(kb):
    """第三十三条第一款前句 needs 违法行为轻微 too: never 不予处罚 on harm and correction alone."""
    unknown = evaluate(kb, {"harm": "none", "corrected": True})
    assert unknown.outcome == "一般处罚" and "minor_violation" in unknown.missing
    assert "exemption.minor" in [r.id for r in unknown.open_rules]
    assert outcome(kb, minor_violation=False, harm="none", corrected=True) == "一般处罚"


def test_first_violation_without_minor_act_is_may_not_must(kb):
    """初次 + no harm + corrected, 轻微 not known: 可以不予处罚 (discretion), with 轻微 as what would make it 不予."""
    r = evaluate(kb, {"first_violation": True, "harm": "none", "corrected": True})
    assert r.outcome == "可以不予处罚" and "minor_violation" in r.missing
    assert "exemption.minor" in [x.id for x in r.open_rules]
    assert evaluate(kb, {"first_violation": True, "harm": "none", "corrected": True,
                         "minor_violation": True}).outcome == "不予处罚"


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


def test_price_no_damage_rule_also_needs_a_minor_violation(kb):
    facts = {"no_actual_damage": True, "harm": "none", "corrected": True}
    assert evaluate(kb, facts, "market.price.no_price_tag").rule.id != "exemption.price.no_damage"
    r = evaluate(kb, {**facts, "minor_violation": True}, "market.price.no_price_tag")
    assert r.rule.id in ("exemption.price.no_damage", "exemption.minor") and r.outcome == "不予处罚"


def test_unknown_facts_are_listed_as_what_would_decide(kb):
    r = evaluate(kb, {"first_violation": True})
    assert r.outcome == "一般处罚"
    assert {"harm", "corrected", "minor_violation"} <= set(r.missing)


FAVOURABLE = {"first_violation": True, "minor_violation": True, "harm": "none", "corrected": True}


def test_an_item_that_is_never_minor_is_not_exempt_whatever_the_general_rule(kb):
    r = evaluate(kb, FAVOURABLE, "tourism.agency.no_licence")
    assert r.outcome == "不予处罚"  # what 第三十三条 alone would give
    assert r.verdict == "通常不能免罚"  # what the user is told: the record says it is never 轻微
    assert r.caveats and r.item.exemption.reason in r.caveats[0]


@pytest.mark.parametrize("possible, facts, verdict", [
    ("none", {"first_violation": True, "harm": "minor", "corrected": True}, "通常不能免罚"),
    ("case_by_case", FAVOURABLE, "可能不予处罚"),
    ("case_by_case", {"first_violation": True, "harm": "minor", "corrected": True}, "可以不予处罚"),
    ("first_violation_or_minor", FAVOURABLE, "不予处罚"),
])
def test_verdict_combines_the_rule_with_the_item(kb, possible, facts, verdict):
    item = next(r for r in kb.records.values() if r.type == "compliance_item" and r.exemption.possible == possible)
    assert evaluate(kb, facts, item.id).verdict == verdict


def test_verdict_is_the_outcome_for_grounds_the_item_does_not_speak_to(kb):
    assert evaluate(kb, {"no_fault": True}, "tourism.agency.no_licence").verdict == "不予处罚"
    assert evaluate(kb, {"years_undiscovered": 3, "life_health_finance": False},
                    "tourism.agency.no_licence").verdict == "不再给予处罚"


def lists(kb, item, region):
    return [x.id for x in evaluate(kb, {}, item, region).lists]


def test_guangxi_market_lists_only_for_guangxi_users_and_market_items(kb):
    gx = lists(kb, "market.price.no_price_tag", "柳州市")
    assert "exemption_list.guangxi.first_violation" in gx and "exemption_list.guangxi.minor" in gx
    assert "exemption_list.national.first_violation_2025" in gx  # nationwide, after the local ones
    gz = lists(kb, "market.price.no_price_tag", "天河区")
    assert gz and not [x for x in gz if "guangxi" in x]
    assert set(gz) == {"exemption_list.national.first_violation_2025", "exemption_list.national.minor_2025"}
    assert not [x for x in lists(kb, "market.price.no_price_tag", None) if "guangxi" in x]


@pytest.mark.parametrize("domain", ["人力资源", "消防救援", "旅游文体"])
def test_no_market_list_for_labour_fire_and_tourism_items(kb, domain):
    item = next(r.id for r in kb.records.values() if r.type == "compliance_item" and r.domain == domain)
    assert lists(kb, item, "南宁市") == []
    assert lists(kb, item, "北海市") == ["exemption_list.beihai.minor_exempt"]  # its domains are not known


def test_bad_region_names_no_local_list(kb):
    assert not [x for x in lists(kb, "market.price.no_price_tag", "火星") if "guangxi" in x]


def test_bad_facts_are_refused(kb):
    with pytest.raises(ValueError):
        evaluate(kb, {"harm": "catastrophic"})
    with pytest.raises(ValueError):
        evaluate(kb, {"mood": "sad"})
