"""Money amounts as people type them: 50万, 五十万元, 1.2亿, 两千块, ￥3,000, 标的额80000.

cn2an does the Chinese-numeral arithmetic; this module only finds the spans that are amounts of money, so that
"第一次" or a phone number is never read as a sum.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
# digits, Chinese numerals and magnitude characters in any mix: 50万, 12万5千, 一百二十万, 1.2亿
_NUM = rf"(?:[\d{_CN_DIGITS}][\d{_CN_DIGITS},，.点]*)"
AMOUNT_RE = re.compile(rf"(?P<cur>[￥¥])?\s*(?P<num>{_NUM})\s*(?P<yuan>元|块钱|块|圆|人民币|rmb)?", re.IGNORECASE)
# A bare number counts as money only right after words like these.
MONEY_CONTEXT = ("金额", "标的", "欠", "借", "赔", "货款", "工资", "价值", "请求", "涉案", "欠款", "债权", "要回", "索赔", "罚", "财产")
MAGNITUDE = set("十百千万亿")
MAX_AMOUNT = Decimal(10) ** 13
BARE_CN_MIN = Decimal(1000)  # "五千" is money; "三十" (天) is not


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    text: str
    value: Decimal


def _number(raw: str) -> Decimal | None:
    raw = raw.replace(",", "").replace("，", "").rstrip(".点")
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", raw):
            return Decimal(raw)
        return Decimal(str(cn2an.cn2an(raw, "smart")))
    except (ValueError, InvalidOperation, KeyError, IndexError):
        return None


def find_amounts(text: str) -> list[Amount]:
    text = text or ""
    out: list[Amount] = []
    for m in AMOUNT_RE.finditer(text):
        num, yuan, cur = m.group("num"), m.group("yuan"), m.group("cur")
        value = _number(num)
        if value is None or value <= 0 or value > MAX_AMOUNT:
            continue
        explicit = bool(yuan or cur) or any(c in "万亿" for c in num)
        if not explicit:
            before = text[max(0, m.start() - 6) : m.start()]
            has_digit = any(c.isdigit() for c in num)
            if has_digit:
                # a bare digit run: money only after a money word, and never a phone/id-like run
                if not any(w in before for w in MONEY_CONTEXT) or len(num) > 12:
                    continue
            elif not (set(num) & MAGNITUDE and (value >= BARE_CN_MIN or any(w in before for w in MONEY_CONTEXT))):
                continue
        end = m.end()
        while end > m.start() and text[end - 1].isspace():
            end -= 1
        value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
        out.append(Amount(m.start(), end, text[m.start() : end], value))
    return out


def parse_amount(text: str) -> Decimal | None:
    """The amount in ``text`` (the largest if several), or None."""
    found = find_amounts(text)
    return max((a.value for a in found), default=None)
