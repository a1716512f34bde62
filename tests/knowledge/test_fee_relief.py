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
