from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.amounts import find_amounts, parse_amount


@pytest.mark.parametrize("text, value", [
    ("50万", 500_000), ("五十万元", 500_000), ("1.2亿", 120_000_000), ("两千块", 2_000), ("￥3,000", 3_000),
    ("标的额80000", 80_000), ("欠我货款12万5千", 125_000), ("罚了五千", 5_000), ("一百二十万的合同纠纷", 1_200_000),
    ("一万二", 12_000), ("200元", 200), ("两百块钱", 200), ("十万", 100_000), ("1,200万", 12_000_000),
])
def test_amounts_people_type(text, value):
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["第一次被查", "电话13812345678", "3年前", "三十天内", "第十三条", "二〇二四年",
                                  "统一社会信用代码91450500MA5KX1234Q", ""])
def test_things_that_are_not_money(text):
    assert find_amounts(text) == []


@given(st.text(max_size=200))
def test_never_crashes_and_spans_point_into_the_text(text):
    for a in find_amounts(text):
        assert text[a.start:a.end] == a.text
        assert a.value > 0
