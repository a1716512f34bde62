"""缓交/减交/免交 (诉讼费用交纳办法 第四十四条 to 第五十一条), and the seed's rule for enterprises."""
import pytest

from knowledge.engines.fee_relief import evaluate


def test_waiver_only_for_natural_persons(kb):
    person = evaluate(kb, "natural_person", {"minimum_living"})
    assert "免交" in person.reliefs and person.mandatory
    company = evaluate(kb, "enterprise", {"minimum_living"})
    assert "免交" not in company.reliefs
    assert company.waiver_excluded
    assert any("免交只适用于自然人" in n for n in company.notes)


def test_enterprise_short_of_funds_may_apply_for_deferral_or_reduction(kb):
    r = evaluate(kb, "enterprise", {"funds_shortage"})
    assert set(r.reliefs) == {"缓交", "减交"}
    assert not r.mandatory  # "确实需要的其他情形": the court decides
    assert "relief.guide.enterprise" in r.record_ids


def test_reduction_floor_is_thirty_percent(kb):
    r = evaluate(kb, "natural_person", {"disaster_hardship"})
    assert r.reliefs == ["减交"] and r.min_reduction_ratio == pytest.approx(0.3)
    assert any("30%" in n for n in r.notes)


@pytest.mark.parametrize("tag, relief", [
    ("social_insurance_claim", "缓交"), ("accident_victim", "缓交"), ("legal_aid", "缓交"),
    ("disabled_no_income", "免交"), ("maintenance_claim", "免交"), ("heroic_act", "免交"),
    ("special_care", "减交"),
])
def test_each_statutory_ground(kb, tag, relief):
    r = evaluate(kb, "natural_person", {tag})
    assert r.reliefs == [relief]
    assert r.mandatory


def test_welfare_institutions_reduction(kb):
    assert evaluate(kb, "organisation", {"welfare_institution"}).reliefs == ["减交"]


def test_materials_and_timing_are_always_given(kb):
    r = evaluate(kb, "natural_person", {"legal_aid"})
    assert {g.aspect for g in r.guides} >= {"materials", "timing"}


def test_unknown_party_type(kb):
    with pytest.raises(ValueError):
        evaluate(kb, "robot", set())


def test_individual_business_is_a_natural_person_and_may_get_a_waiver(kb):
    """民法典 第五十四条: a 个体工商户 is a natural person doing business, so 免交 is open to it."""
    r = evaluate(kb, "individual_business", {"minimum_living"})
    assert r.reliefs == ["免交"] and r.mandatory and not r.waiver_excluded
    assert not any("不能申请免交" in n for n in r.notes)
    assert "relief.guide.individual_business" in r.record_ids


@pytest.mark.parametrize("party", ["individual_business", "natural_person"])
def test_family_business_failing_is_a_mandatory_reduction(kb, party):
    r = evaluate(kb, party, {"business_failing"})
    assert r.reliefs == ["减交"]
    assert [x.id for x in r.mandatory] == ["relief.reduce.family_business_failing"]


def test_individual_business_short_of_money_is_offered_the_mandatory_ground(kb):
    r = evaluate(kb, "individual_business", {"funds_shortage"})
    assert not r.mandatory  # "资金紧张" alone is the discretionary ground ...
    assert [x.id for x in r.open_grounds] == ["relief.reduce.family_business_failing"]  # ... unless 难以为继


def test_a_company_is_not_a_family_business(kb):
    r = evaluate(kb, "enterprise", {"business_failing"})
    assert not r.mandatory and r.open_grounds == [] and "免交" not in r.reliefs


def test_the_family_business_ground_cites_the_civil_code(kb):
    rec = kb.records["relief.reduce.family_business_failing"]
    assert rec.mandatory and rec.ground in kb.statutes["诉讼费用交纳办法"].article("第四十六条")
    assert any(c.law == "民法典（总则）" and c.article == "第五十四条" for c in rec.citations)


def test_a_natural_person_short_of_funds_is_also_told_of_the_business_ground(kb):
    """A form may read 个体户 as natural_person: money trouble still brings up 家庭生产经营难以为继."""
    r = evaluate(kb, "natural_person", {"funds_shortage"})
    assert [x.id for x in r.open_grounds] == ["relief.reduce.family_business_failing"]
    assert evaluate(kb, "natural_person", {"minimum_living"}).open_grounds == []
