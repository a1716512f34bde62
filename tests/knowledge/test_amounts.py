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
                                  "统一社会信用代码91450500MA5KX1234Q", "", "是3年前的事", "wifi密码"])
def test_things_that_are_not_money(text):
    assert find_amounts(text) == []


@given(st.text(max_size=200))
def test_never_crashes_and_spans_point_into_the_text(text):
    for a in find_amounts(text):
        assert text[a.start:a.end] == a.text
        assert a.value != 0


@pytest.mark.parametrize("text, value, approximate", [
    ("9万多的案子诉讼费多少", 90_000, True), ("大概三十多万", 300_000, True), ("10来万", 100_000, True),
    ("20多万元的货款", 200_000, True), ("损失144万", 1_440_000, False), ("3.5w", 35_000, False),
    ("起诉金额1.2亿，普通程序", 120_000_000, False), ("说错了，是300万", 3_000_000, False),
    ("货款三十多万一直拖着不给", 300_000, True), ("欠款20万两个月了", 200_000, False),
])
def test_approximate_and_shorthand_amounts(text, value, approximate):
    (a,) = find_amounts(text)
    assert (a.value, a.approximate) == (Decimal(value), approximate)
    assert not a.text.endswith("，")


@pytest.mark.parametrize("text", ["-5000元", "负5000元", "－5000元", "标的额-20000"])
def test_a_minus_sign_stays_negative_so_the_form_can_refuse_it(text):
    assert [a.value for a in find_amounts(text)] in ([Decimal(-5000)], [Decimal(-20000)])


def test_a_range_is_not_a_negative_amount():
    assert [a.value for a in find_amounts("3000-5000元")] == [Decimal(5000)]


@pytest.mark.parametrize("text", ["100万美元", "欠我20万港币", "五万欧元"])
def test_another_currency_is_not_read_as_yuan(text):
    assert find_amounts(text) == []


def test_a_sum_beyond_the_rules_is_reported_for_the_form_to_refuse():
    assert parse_amount("标的100万亿") == Decimal(10) ** 14
