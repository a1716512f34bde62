"""统一社会信用代码 (unified social credit code) checks after GB 32100-2015.

Layout of the 18 characters:

    position 1      登记管理部门代码 (registration authority: 1 机构编制, 5 民政, 9 工商/市场监管, Y 其他 ...)
    position 2      机构类别代码 (kind of entity; for authority 9: 1 企业, 2 个体工商户, 3 农民专业合作社)
    positions 3-8   登记管理机关行政区划码 (six digits, GB/T 2260)
    positions 9-17  主体标识码 (the former 组织机构代码)
    position 18     校验码 (check character)

Characters come from a 31-letter alphabet: the digits and the capital letters without I, O, Z, S and V
(they look like 1, 0, 2, 5 and U).  The check character is ``C18 = 31 - (Σ Ci·Wi mod 31)`` over the first 17
characters, where ``Ci`` is a character's index in that alphabet and ``Wi = 3^(i-1) mod 31``; a result of 31
is written as ``0``.
"""
from __future__ import annotations

import re
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
LENGTH = 18
_SEPARATORS = re.compile(r"[\s\-_.]+")

ENTITY_KINDS = {"91": "企业", "92": "个体工商户", "93": "农民专业合作社"}


class InvalidCreditCode(ValueError):
    """Raised with a message that tells the user what is wrong with the code (in Chinese)."""


def normalize(value: str) -> str:
    """Full-width characters to ASCII, separators removed, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


def check_character(first17: str) -> str:
    """The 18th character for the given first 17 characters (already normalised and in the alphabet)."""
    if len(first17) != LENGTH - 1 or any(ch not in VALUES for ch in first17):
        raise InvalidCreditCode("计算校验码需要17位合法字符")
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(value: object) -> str:
    """Return the normalised code, or raise InvalidCreditCode saying what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidCreditCode("统一社会信用代码不能为空")
    code = normalize(value)
    if len(code) != LENGTH:
        raise InvalidCreditCode(f"统一社会信用代码应为18位，实际为{len(code)}位")
    bad = sorted({ch for ch in code if ch not in VALUES})
    if bad:
        shown = "、".join(bad[:5])
        raise InvalidCreditCode(f"统一社会信用代码含有不允许的字符：{shown}（只用数字和除 I、O、Z、S、V 以外的大写字母）")
    if not code[2:8].isdigit():
        raise InvalidCreditCode("统一社会信用代码第3至8位应为6位数字的行政区划码")
    if check_character(code[:17]) != code[17]:
        raise InvalidCreditCode("统一社会信用代码校验位不符，请核对是否有输错的字符")
    return code


def is_valid(value: object) -> bool:
    try:
        validate(value)
    except InvalidCreditCode:
        return False
    return True


def entity_kind(code: str) -> str | None:
    """企业 / 个体工商户 / 农民专业合作社 for codes issued by market regulation (first character 9)."""
    return ENTITY_KINDS.get(code[:2])
