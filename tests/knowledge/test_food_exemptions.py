"""Food items against the national 2025 market-regulation lists (国市监法〔2025〕10号), known from public reports.

The lists' own text is not available here: what the items say of them is a paraphrase, marked as such, with its
conditions; the penalty is the penalty article's own words from its first sanction (没收) on.
"""
import pytest

from knowledge.engines.exemption import listed_lines

FOOD = {
    "market.food.no_licence": ("exemption_list.national.first_violation_2025", "散装食品"),
    "market.food.expired_food": ("exemption_list.national.minor_2025", "500元"),
    "market.food.pesticide_residue": ("exemption_list.national.first_violation_2025", "食用农产品"),
}


@pytest.mark.parametrize("rid", sorted(FOOD))
def test_food_items_name_the_national_list_and_its_conditions(kb, rid):
    item = kb.records[rid]
    list_id, word = FOOD[rid]
    assert item.exemption.possible != "none"
    assert list_id in {e.list for e in item.exemption.listed}
    assert all(e.conditions for e in item.exemption.listed)
    lines = listed_lines(kb, item)
    assert lines and all("转述，不是清单原文" in line and "以发布机关公布的原文为准" in line for line in lines)
    assert any(word in line for line in lines)


def test_expired_food_conditions_and_the_reported_conflict(kb):
    entry = kb.records["market.food.expired_food"].exemption.listed[0]
    text = "；".join(entry.conditions)
    assert "餐饮" in text and "进货来源" in text and "500元" in text
    assert "首违不罚" in entry.note and "轻微免罚" in entry.note


@pytest.mark.parametrize("rid, article", [
    ("market.food.expired_food", "第一百二十四条"),
    ("market.food.no_licence", "第一百二十二条"),
    ("market.food.pesticide_residue", "第一百二十四条"),
])
def test_food_penalties_include_the_confiscation(kb, rid, article):
    item = kb.records[rid]
    assert item.penalty.startswith("由县级以上人民政府食品安全监督管理部门没收违法所得")
    assert item.penalty in kb.statutes["食品安全法"].article(article)
