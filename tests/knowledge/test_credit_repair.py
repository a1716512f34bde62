import pytest

from knowledge.engines.credit_repair import ISSUES, plan_repair


def test_every_list_the_seeds_name_has_a_procedure(kb):
    for issue in ("失信被执行人", "限制高消费", "经营异常名录", "行政处罚信息公示"):
        assert plan_repair(kb, issue).procedures, issue


DISHONEST = "最高人民法院关于公布失信被执行人名单信息的若干规定"
HIGH_CONSUMPTION = "最高人民法院关于限制被执行人高消费的若干规定"


def test_enforcement_records_carry_the_later_version_note_through_their_citations(kb):
    for p in plan_repair(kb, "失信被执行人").procedures + plan_repair(kb, "限制高消费").procedures:
        cited = [c for c in kb.citations_of([p.id]) if c["law"].endswith(("名单信息的若干规定", "高消费的若干规定"))]
        assert cited and all(c["later_version"] for c in cited), p.id


@pytest.mark.parametrize("rid", ["credit.dishonest.not_listed", "credit.dishonest.correction",
                                 "credit.dishonest.removal", "credit.high_consumption.business_necessity"])
def test_what_the_later_rules_changed_comes_first_marked_as_not_quoted(kb, rid):
    p = kb.records[rid]
    assert p.conditions[0].startswith("现行规定（20") and "转述，不是原文" in p.conditions[0]
    for condition in p.conditions[1:]:  # the old text's conditions say which text they are
        if "第" in condition and "条" in condition and "种子" not in condition and "转述" not in condition:
            assert "2013年文本" in condition or "2010年文本" in condition, condition


def test_removal_names_the_2017_deletion_grounds_and_the_term(kb):
    text = "；".join(kb.records["credit.dishonest.removal"].conditions)
    assert "第十条" in text and "书面申请删除" in text and "终结本次执行程序" in text and "两次以上" in text
    assert "第二条" in text and "二年" in text


def test_not_listed_is_national_now(kb):
    first = kb.records["credit.dishonest.not_listed"].conditions[0]
    assert "第三条" in first and "不得" in first and "全国适用" in first


def test_high_consumption_bars_the_persons_whatever_whose_money(kb):
    p = kb.records["credit.high_consumption.business_necessity"]
    assert "实际控制人" in p.conditions[0] and "不论花的是单位的钱还是个人的钱" in p.conditions[0]
    assert "因私" in p.conditions[1] and "申请" in p.conditions[1]
    assert all("2010年文本" in c for c in p.conditions if "以单位财产" in c)


def test_civil_procedure_article_is_the_2023_number(kb):
    p = kb.records["credit.high_consumption.business_necessity"]
    assert any(c.law == "民事诉讼法" and c.article == "第一百一十四条" for c in p.citations)
    mentions = [line for line in p.steps + p.conditions + p.caveats if "第一百零二条" in line]
    assert mentions and all("第一百一十四条" in line for line in mentions)


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
