"""Penalties as the article states them, every tier (README: "penalty range as the article states it")."""
import pytest


@pytest.mark.parametrize("rid, words", [
    ("market.ads.false_ads", ["三倍以上五倍以下", "五倍以上十倍以下", "一百万元以上二百万元以下", "吊销营业执照"]),
    ("market.ads.medical_claims", ["一倍以上三倍以下", "情节严重的，处广告费用三倍以上五倍以下", "吊销营业执照"]),
    ("market.ads.health_food", ["情节严重的，处广告费用三倍以上五倍以下", "二十万元以上一百万元以下"]),
    ("market.ads.education_promise", ["情节严重的，处广告费用三倍以上五倍以下", "一年内不受理其广告审查申请"]),
    ("market.ads.absolute_terms", ["二十万元以上一百万元以下", "撤销广告审查批准文件"]),
    ("market.cosmetics.expired", ["5倍以上20倍以下", "情节严重的", "10年内禁止其从事化妆品生产经营活动", "刑事责任"]),
    ("market.cosmetics.self_compounding", ["情节严重的", "1倍以上3倍以下"]),
    ("market.cosmetics.unfiled_ordinary", ["3倍以上10倍以下", "情节严重的", "5年内禁止其从事化妆品生产经营活动"]),
    ("market.cosmetics.label", ["情节严重的", "5年内禁止"]),
    ("market.cosmetics.unregistered_special", ["终身禁止", "刑事责任"]),
    ("tourism.agency.licence_lending", ["一万元以上十万元以下", "一倍以上五倍以下", "停业整顿", "吊销旅行社业务经营许可证"]),
    ("labour.child.child_labour", ["每月处5000元", "从重处罚", "每月处1万元", "吊销其营业执照"]),
])
def test_every_tier_of_the_penalty_article_is_stated(kb, rid, words):
    penalty = kb.records[rid].penalty
    for w in words:
        assert w in penalty, (rid, w)


def test_safety_warning_claims_only_what_article_63_item_1_covers(kb):
    item = kb.records["tourism.agency.safety_warning"]
    penalised = [c for c in item.citations if c.role == "penalty"]
    assert any(c.quote.startswith("(一)发生危及旅游者人身安全的情形") for c in penalised)
    text = " ".join([item.title, item.violation, *item.typical_forms])
    assert "第六十三条第（一）项" in item.violation
    for not_fined in ("没有告知安全注意事项", "提示游客投保"):  # obligations with no fine of their own here
        assert not_fined not in text
    assert any("只针对第（一）项" in c for c in item.caveats)
