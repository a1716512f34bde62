"""统一社会信用代码 check digit (GB 32100-2015), on codes constructed and checked by hand below.

Alphabet values: digits 0-9 are 0-9; A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21 N22 P23 Q24 R25 T26 U27
W28 X29 Y30 (no I, O, Z, S, V).  Weights of positions 1-17 (3^(i-1) mod 31):
1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.  Check value = (31 - sum mod 31) mod 31.
"""
import pytest

from bot.web import credit_code as cc

# 9 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0:
#   9·1 + 1·3 + 1·9 + 1·27 = 48;  48 mod 31 = 17;  31 - 17 = 14 → E
ALL_DIGITS = "91110000000000000E"

# 9 2 4 5 0 1 0 0 M A 5 K B 1 2 3 4  (M21 A10 K19 B11):
#   9·1=9  2·3=6  4·9=36  5·27=135  0·19=0  1·26=26  0·16=0  0·17=0  21·20=420  10·29=290  5·25=125
#   19·13=247  11·8=88  1·24=24  2·10=20  3·30=90  4·28=112   sum = 1628
#   1628 = 31·52 + 16;  31 - 16 = 15 → F            (92: 个体工商户)
WITH_LETTERS = "92450100MA5KB1234F"

# 9 1 1 1 0 … 0 G (G16 in position 17, weight 28):  48 + 16·28 = 496 = 31·16 → sum mod 31 = 0
#   (31 - 0) mod 31 = 0 → check character 0
CHECK_ZERO = "9111000000000000G0"


def test_weights_are_powers_of_three_mod_31():
    assert cc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(cc.ALPHABET) == 31 and not set("IOZSV") & set(cc.ALPHABET)


@pytest.mark.parametrize("code, check", [(ALL_DIGITS, "E"), (WITH_LETTERS, "F"), (CHECK_ZERO, "0")])
def test_hand_computed_check_characters(code, check):
    assert len(code) == 18
    assert cc.check_character(code[:17]) == check
    assert cc.validate(code) == code
    assert cc.is_valid(code)


def test_published_example_code():
    # the example printed in GB 32100-2015 explanations and many registration guides
    assert cc.is_valid("91350100M000100Y43")


@pytest.mark.parametrize("code", [ALL_DIGITS, WITH_LETTERS])
def test_any_single_changed_character_is_caught(code):
    for i in range(18):
        for ch in cc.ALPHABET:
            if ch == code[i]:
                continue
            changed = code[:i] + ch + code[i + 1:]
            assert not cc.is_valid(changed), changed


def test_adjacent_transpositions_are_caught():
    code = WITH_LETTERS
    for i in range(17):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            assert not cc.is_valid(swapped), swapped


def test_normalisation_of_what_people_type():
    assert cc.validate(" 9245 0100-MA5K B1234f ") == WITH_LETTERS
    assert cc.validate("９２４５０１００ＭＡ５ＫＢ１２３４Ｆ") == WITH_LETTERS  # full-width, as typed with a Chinese IME


@pytest.mark.parametrize("value, words", [
    ("", "不能为空"),
    (None, "不能为空"),
    (12345, "不能为空"),
    ("9111000000000000", "18位"),
    ("91110000000000000E1", "18位"),
    ("9111000000000000OE", "不允许的字符"),  # O is not used
    ("911A0000000000000E", "行政区划码"),
    ("91110000000000000F", "校验位不符"),
])
def test_messages_say_what_is_wrong(value, words):
    with pytest.raises(cc.InvalidCreditCode) as e:
        cc.validate(value)
    assert words in str(e.value)


def test_entity_kind():
    assert cc.entity_kind(WITH_LETTERS) == "个体工商户"
    assert cc.entity_kind(ALL_DIGITS) == "企业"
    assert cc.entity_kind("Y1110000000000000X") is None
