"""Money amounts as people type them: 50万, 五十万元, 1.2亿, 两千块, ￥3,000, 标的额80000, 9万多, 三十多万, 3.5w.

cn2an does the Chinese-numeral arithmetic; this module only finds the spans that are amounts of money, so that
"第一次" or a phone number is never read as a sum.  What it finds is reported as typed, so that the form can
refuse it with a reason rather than silently change it: a minus sign stays negative ("-5000元" is not 5,000), a
sum above the articles' range stays above it.  "9万多" / "三十多万" are read as their lower bound and marked
approximate; an amount in another currency (100万美元) is not read as yuan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
# digits, Chinese numerals and magnitude characters in any mix: 50万, 12万5千, 一百二十万, 1.2亿, 1,200,000;
# "多" right before 万/亿 (三十多万) and a separator only between digits (never a trailing "，")
_NUM = rf"(?:[\d{_CN_DIGITS}](?:[\d{_CN_DIGITS}点.]|[多来](?=[万亿])|[,，](?=\d{{3}}))*)"
AMOUNT_RE = re.compile(
    rf"(?P<sign>[-－−]|负)?(?P<cur>[￥¥])?\s*(?P<num>{_NUM})(?P<w>\s*[wW](?![a-zA-Z]))?(?P<more>多|余|来)?"
    rf"\s*(?P<yuan>元|块钱|块|圆|人民币|rmb)?",
    re.IGNORECASE,
)
# A bare number counts as money only right after words like these.
MONEY_CONTEXT = ("金额", "标的", "欠", "借", "赔", "货款", "工资", "价值", "请求", "涉案", "欠款", "债权", "要回", "索赔", "罚", "财产",
                 "损失", "起诉", "诉讼", "争议")
FOREIGN_CURRENCY = ("美元", "美金", "港币", "港元", "欧元", "日元", "英镑", "越南盾", "泰铢", "澳元", "新台币", "卢布")
MAGNITUDE = set("十百千万亿")
MAX_AMOUNT = Decimal(10) ** 13  # what the fee rules can compute; larger sums are reported, the form refuses them
BARE_CN_MIN = Decimal(1000)  # "五千" is money; "三十" (天) is not


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    text: str
    value: Decimal
    approximate: bool = False  # "9万多", "三十多万", "10来万": the value is the lower bound


def _number(raw: str) -> Decimal | None:
    raw = raw.replace(",", "").replace("，", "").replace("多", "").replace("来", "").rstrip(".点")
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", raw):
            return Decimal(raw)
        return Decimal(str(cn2an.cn2an(raw, "smart")))
    except (ValueError, InvalidOperation, KeyError, IndexError, TypeError):
        return None


def _word_after(text: str, m: re.Match, num: str) -> bool:
    """The last numeral of ``num`` starts a word with the character after the match (万一直, 万两个)."""
    end = m.start("num") + len(num)
    if m.end() != end or len(num) < 2 or num[-1] not in "一二两三四五六七八九" or num[-2] not in "万亿":
        return False
    return end < len(text) and "\u4e00" <= text[end] <= "\u9fff" and text[end] not in _CN_DIGITS + "元块圆"


def find_amounts(text: str) -> list[Amount]:
    text = text or ""
    out: list[Amount] = []
    for m in AMOUNT_RE.finditer(text):
        num, yuan, cur, w = m.group("num"), m.group("yuan"), m.group("cur"), m.group("w")
        if _word_after(text, m, num):
            # "三十多万一直拖着": the 一 belongs to 一直, not to the sum (but "8万8，" and "12万5" are 88,000 / 125,000)
            m = AMOUNT_RE.match(text, m.start(), m.start("num") + len(num) - 1)
            if m is None:
                continue
            num, yuan, cur, w = m.group("num"), m.group("yuan"), m.group("cur"), m.group("w")
        if w and not re.search(r"\d", num):
            continue
        value = _number(num + ("万" if w else ""))
        if value is None or value == 0:
            continue
        after = text[m.end() : m.end() + 4]
        if any(after.startswith(c) or (m.group("more") and c in after) for c in FOREIGN_CURRENCY):
            continue
        if any(text[m.end("num") :].lstrip().startswith(c) for c in FOREIGN_CURRENCY):
            continue
        explicit = bool(yuan or cur or w) or any(c in "万亿" for c in num)
        if not explicit:
            before = text[max(0, m.start() - 6) : m.start()]
            has_digit = any(c.isdigit() for c in num)
            if has_digit:
                # a bare digit run: money only after a money word, and never a phone/id-like run
                if not any(w_ in before for w_ in MONEY_CONTEXT) or len(num) > 12:
                    continue
            elif not (set(num) & MAGNITUDE and (value >= BARE_CN_MIN or any(w_ in before for w_ in MONEY_CONTEXT))):
                continue
        sign = m.group("sign")
        # a minus sign right after a digit is a range ("3000-5000元"), not a negative amount
        negative = bool(sign) and not (sign != "负" and m.start() > 0 and text[m.start() - 1].isdigit())
        start = m.start() if negative else m.start("cur") if cur else m.start("num")
        end = m.end()
        while end > start and text[end - 1].isspace():
            end -= 1
        value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
        approximate = bool(m.group("more")) or "多" in num or "来" in num
        out.append(Amount(start, end, text[start:end], -value if negative else value, approximate))
    return out


def parse_amount(text: str) -> Decimal | None:
    """The amount in ``text`` (the largest if several), or None."""
    found = find_amounts(text)
    return max((a.value for a in found), default=None)
