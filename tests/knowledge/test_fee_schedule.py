"""Court fees worked out by hand from 诉讼费用交纳办法 第十三条 to 第十八条."""
import datetime as dt
from decimal import Decimal

import pytest

from knowledge.engines import fee_schedule as fs

D = Decimal


@pytest.mark.parametrize(
    "amount, expected",
    [
        (5_000, 50),  # 不超过1万元的，每件交纳50元
        (10_000, 50),
        (100_000, 2_300),  # 50 + 90,000×2.5%
        (500_000, 8_800),  # + 100,000×2% + 300,000×1.5%
        (1_000_000, 13_800),  # + 500,000×1%
        (2_000_000, 22_800),  # + 1,000,000×0.9%
        (5_000_000, 46_800),  # + 3,000,000×0.8%
        (10_000_000, 81_800),  # + 5,000,000×0.7%
        (20_000_000, 141_800),  # + 10,000,000×0.6%
        (120_000_000, 641_800),  # + 100,000,000×0.5%
    ],
)
def test_property_case_scale(amount, expected):
    r = fs.acceptance_fee("property", amount)
    assert r.fee_min == r.fee_max == D(expected)


def test_breakdown_lists_each_bracket_with_the_articles_words():
    r = fs.acceptance_fee("property", 500_000)
    assert [ln.fee_max for ln in r.lines] == [D(50), D(2250), D(2000), D(4500)]
    assert [ln.base for ln in r.lines] == [D(10000), D(90000), D(100000), D(300000)]
    assert r.lines[1].reference.quote == "2．超过1万元至10万元的部分，按照2.5%交纳；"
    assert all(ln.reference.article == "第十三条" for ln in r.lines)


def test_cents_are_rounded_half_up():
    assert fs.acceptance_fee("property", 10_001).fee_max == D("50.03")  # 50 + 0.025


def test_mediation_withdrawal_and_simplified_halve():
    assert fs.acceptance_fee("property", 500_000, ending="mediation").fee_max == D(4400)
    assert fs.acceptance_fee("property", 100_000, ending="withdrawal").fee_max == D(1150)
    assert fs.acceptance_fee("property", 500_000, procedure="simplified").fee_max == D(4400)


def test_two_halvings_are_applied_once_and_the_stacked_figure_is_reported():
    r = fs.acceptance_fee("property", 500_000, procedure="simplified", ending="mediation")
    assert r.fee_max == D(4400)
    assert r.stacked_max == D(2200)
    assert {ref.article for _, _, ref in r.reductions} == {"第十五条", "第十六条"}
    assert any("叠加" in n for n in r.notes)


def test_fixed_fee_cases():
    assert fs.acceptance_fee("labour").fee_max == D(10)
    assert fs.acceptance_fee("labour", procedure="simplified").fee_max == D(5)
    assert fs.acceptance_fee("admin_special").fee_max == D(100)
    assert fs.acceptance_fee("admin_other", ending="withdrawal").fee_max == D(25)


def test_ranges_left_to_the_province():
    r = fs.acceptance_fee("ip")
    assert (r.fee_min, r.fee_max) == (D(500), D(1000)) and r.is_range
    assert any("省、自治区、直辖市" in n for n in r.notes)
    assert (fs.acceptance_fee("other_non_property").fee_min, fs.acceptance_fee("other_non_property").fee_max) == (D(50), D(100))
    assert fs.acceptance_fee("jurisdiction_objection").fee_max == D(100)


def test_ip_with_amount_uses_the_property_scale():
    assert fs.acceptance_fee("ip", 300_000).fee_max == D(5800)  # 50 + 2250 + 2000 + 1500


def test_divorce_and_personality_rights():
    r = fs.acceptance_fee("divorce", 500_000)  # 50–300 + (500,000 − 200,000)×0.5%
    assert (r.fee_min, r.fee_max) == (D(1550), D(1800))
    assert (fs.acceptance_fee("divorce", 150_000).fee_min, fs.acceptance_fee("divorce", 150_000).fee_max) == (D(50), D(300))
    r = fs.acceptance_fee("personality", 80_000)  # 100–500 + 30,000×1%
    assert (r.fee_min, r.fee_max) == (D(400), D(800))
    r = fs.acceptance_fee("personality", 150_000)  # + 50,000×1% + 50,000×0.5%
    assert (r.fee_min, r.fee_max) == (D(850), D(1250))


@pytest.mark.parametrize(
    "kind, amount, expected",
    [
        ("enforcement", 10_000, (50, 50)),
        ("enforcement", 600_000, (8_400, 8_400)),  # 50 + 490,000×1.5% + 100,000×1%
        ("enforcement", None, (50, 500)),
        ("preservation", 1_000, (30, 30)),
        ("preservation", 100_000, (1_020, 1_020)),  # 30 + 99,000×1%
        ("preservation", 300_000, (2_020, 2_020)),  # + 200,000×0.5%
        ("preservation", 5_000_000, (5_000, 5_000)),  # 25,520 capped at 5,000
        ("payment_order", 300_000, ("1933.33", "1933.33")),  # 5,800 / 3
        ("bankruptcy", 1_000_000, (6_900, 6_900)),  # 13,800 / 2
        ("bankruptcy", 1_000_000_000, (300_000, 300_000)),  # capped
        ("public_summons", None, (100, 100)),
        ("revoke_arbitral_award", None, (400, 400)),
    ],
)
def test_application_fees(kind, amount, expected):
    r = fs.application_fee(kind, amount)
    assert (r.fee_min, r.fee_max) == (D(str(expected[0])), D(str(expected[1])))


def test_parameters_are_dated_the_rules_did_not_exist_before_2007():
    with pytest.raises(LookupError):
        fs.acceptance_fee("property", 500_000, on=dt.date(2006, 1, 1))
    assert fs.acceptance_fee("property", 500_000, on=dt.date(2007, 4, 1)).fee_max == D(8800)


@pytest.mark.parametrize(
    "call",
    [
        lambda: fs.acceptance_fee("property"),
        lambda: fs.acceptance_fee("property", -5),
        lambda: fs.acceptance_fee("property", 10**14),
        lambda: fs.acceptance_fee("spaceship", 5),
        lambda: fs.acceptance_fee("property", 5, procedure="fast"),
        lambda: fs.application_fee("bankruptcy"),
    ],
)
def test_inputs_the_articles_cannot_compute_are_refused(call):
    with pytest.raises(fs.FeeInputError):
        call()


def test_yuan_formatting():
    assert fs.yuan(D(8800)) == "8800元"
    assert fs.yuan(D("50.025")) == "50.03元"


@pytest.mark.parametrize(
    "amount, procedure, ending, expected",
    [
        # a halved fee is half the exact total, rounded to the cent once: 50.025 / 2 = 25.0125 → 25.01
        (10_001, "simplified", "judgment", "25.01"),
        (10_001, "ordinary", "withdrawal", "25.01"),
        # 22,800 + 1,333,333.33 × 0.8% = 33,466.66664 → halved 16,733.33332 → 16,733.33 (not 16,733.34)
        ("3333333.33", "ordinary", "mediation", "16733.33"),
        ("3333333.33", "ordinary", "judgment", "33466.67"),
        (10_003, "simplified", "judgment", "25.04"),  # 50.075 / 2 = 25.0375 → 25.04
    ],
)
def test_a_halved_fee_is_rounded_once(amount, procedure, ending, expected):
    assert fs.acceptance_fee("property", amount, procedure, ending).fee_max == D(expected)


def test_stacked_halvings_are_rounded_once_too():
    r = fs.acceptance_fee("property", 10_001, "simplified", "mediation")
    assert (r.fee_max, r.stacked_max) == (D("25.01"), D("12.51"))  # 50.025 / 4 = 12.50625


def test_the_full_fee_beside_a_halved_one_is_the_exact_total_rounded():
    r = fs.acceptance_fee("property", 10_001, "simplified")
    assert r.full_max == D("50.03") and r.fee_max == D("25.01")


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-Infinity", "abc", "5万", float("nan")])
def test_an_amount_that_is_not_a_number_is_refused_with_a_message(value):
    with pytest.raises(fs.FeeInputError, match="不是一个数字"):
        fs.acceptance_fee("property", value)


def test_a_negative_amount_is_refused_not_read_as_positive():
    with pytest.raises(fs.FeeInputError, match="负数"):
        fs.acceptance_fee("property", -5000)
    with pytest.raises(fs.FeeInputError, match="负数"):
        fs.application_fee("preservation", "-5000")


def test_preservation_without_an_amount_is_30_yuan():
    r = fs.application_fee("preservation", None)  # 第十四条（二）: 不涉及财产数额的，每件交纳30元
    assert (r.fee_min, r.fee_max) == (D(30), D(30))
    assert r.lines[0].reference.article == "第十四条"


def test_payment_order_and_bankruptcy_round_once():
    # 10,001 元: exact property fee 50.025; 1/3 → 16.675 → 16.68; half → 25.0125 → 25.01
    assert fs.application_fee("payment_order", 10_001).fee_max == D("16.68")
    assert fs.application_fee("bankruptcy", 10_001).fee_max == D("25.01")
