from knowledge.engines.credit_repair import ISSUES, plan_repair


def test_every_list_the_seeds_name_has_a_procedure(kb):
    for issue in ("失信被执行人", "限制高消费", "经营异常名录", "行政处罚信息公示"):
        assert plan_repair(kb, issue).procedures, issue


def test_dishonest_debtor_records_carry_the_version_caveat(kb):
    for p in plan_repair(kb, "失信被执行人").procedures:
        if any(c.law == "最高人民法院关于公布失信被执行人名单信息的若干规定" for c in p.citations):
            assert any("2017" in c for c in p.caveats), p.id


def test_situation_tags_order_the_procedures(kb):
    procs = plan_repair(kb, "经营异常名录").procedures
    tagged = [p for p in procs if p.situations]
    if tagged:
        first_tag = tagged[-1].situations[0]
        assert plan_repair(kb, "经营异常名录", {first_tag}).procedures[0].situations[0] == first_tag


def test_unknown_issue_is_refused(kb):
    import pytest

    with pytest.raises(ValueError):
        plan_repair(kb, "黑户")
    assert set(ISSUES) >= {p.issue for p in plan_repair(kb, None).procedures}
