"""Court fees (诉讼费用交纳办法 第十三条 to 第十九条) computed from the dated parameters.

Every figure comes from ``data/parameters/litigation_fee``; this module only knows how the articles combine
them: which scale a case type uses, that 第十五条/第十六条 halve the acceptance fee, that a range left to the
province (第十三条 last paragraph) is reported as a range.  Results carry a per-bracket breakdown with the
verbatim words of each bracket.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from knowledge.parameters import ParameterTree, Reference, Scale, default_parameters

CENT = Decimal("0.01")

# case type -> how its acceptance fee is made up
CASE_TYPES = {
    "property": "财产案件",
    "ip": "知识产权民事案件",
    "labour": "劳动争议案件",
    "divorce": "离婚案件",
    "personality": "人格权案件",
    "other_non_property": "其他非财产案件",
    "admin_special": "商标、专利、海事行政案件",
    "admin_other": "其他行政案件",
    "jurisdiction_objection": "管辖权异议（异议不成立）",
}
APPLICATION_TYPES = {
    "enforcement": "申请执行",
    "preservation": "申请保全",
    "payment_order": "申请支付令",
    "public_summons": "申请公示催告",
    "revoke_arbitral_award": "申请撤销仲裁裁决或认定仲裁协议效力",
    "bankruptcy": "申请破产",
}
PROCEDURES = {"ordinary": "普通程序", "simplified": "简易程序"}
ENDINGS = {"judgment": "判决", "mediation": "调解结案", "withdrawal": "撤诉"}


class FeeInputError(ValueError):
    """Input the articles cannot compute (e.g. a property case without an amount)."""


@dataclass
class FeeLine:
    label: str
    base: Decimal | None  # the part of the amount this line charges on
    rule: str  # "每件50元" / "2.5%"
    fee_min: Decimal  # rounded to the cent, as shown
    fee_max: Decimal
    reference: Reference | None
    exact: Decimal | None = None  # the unrounded fee of a percentage bracket: totals add these and round once

    @property
    def exact_min(self) -> Decimal:
        return self.fee_min if self.exact is None else self.exact

    @property
    def exact_max(self) -> Decimal:
        return self.fee_max if self.exact is None else self.exact


@dataclass
class FeeResult:
    kind: str  # case or application type
    label: str
    amount: Decimal | None
    lines: list[FeeLine]
    full_min: Decimal  # before reductions
    full_max: Decimal
    fee_min: Decimal  # after reductions
    fee_max: Decimal
    reductions: list[tuple[str, Decimal, Reference]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    stacked_min: Decimal | None = None  # if the court stacks two halvings
    stacked_max: Decimal | None = None

    @property
    def is_range(self) -> bool:
        return self.fee_min != self.fee_max

    def all_references(self) -> list[Reference]:
        refs = list(self.references)
        refs += [ln.reference for ln in self.lines if ln.reference]
        refs += [r for _, _, r in self.reductions]
        out, seen = [], set()
        for r in refs:
            if (r.law, r.article, r.quote) not in seen:
                seen.add((r.law, r.article, r.quote))
                out.append(r)
        return out


def yuan(value: Decimal) -> str:
    """8800 → '8800元', 8800.5 → '8800.50元'."""
    q = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{q:,.0f}元".replace(",", "") if q == q.to_integral_value() else f"{q:.2f}元"


def _q(v: Decimal) -> Decimal:
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


def _scale_lines(scale: Scale, amount: Decimal) -> list[FeeLine]:
    lines = []
    for b, part, fee in scale.apply(amount):
        rule = f"每件{b.amount:g}元" if b.amount is not None else f"{(b.rate * 100).normalize():f}%"
        lines.append(FeeLine(b.reference.quote if b.reference else rule, part, rule, _q(fee), _q(fee), b.reference,
                             exact=fee))
    return lines


def _exact_total(lines: list[FeeLine]) -> tuple[Decimal, Decimal]:
    """The unrounded total: a fee is rounded to the cent once, at the end (a halved fee is half the exact total,
    not half of a rounded one: 10,001 元 → 50.025 → halved 25.0125 → 25.01, never 25.02)."""
    return (sum((ln.exact_min for ln in lines), Decimal(0)), sum((ln.exact_max for ln in lines), Decimal(0)))


def _fixed_line(params: ParameterTree, name: str, on: dt.date) -> FeeLine:
    p = params[name]
    v = p.at(on)
    ref = p.references[0]
    if isinstance(v, dict):
        return FeeLine(p.description, None, f"每件{v['min']:g}元至{v['max']:g}元", v["min"], v["max"], ref)
    return FeeLine(p.description, None, f"每件{v:g}元", v, v, ref)


def _amount(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise FeeInputError("金额不是一个数字，请写成“50万”或“500000元”") from None
    if not d.is_finite():  # "NaN", "Infinity" from a hand-made payload
        raise FeeInputError("金额不是一个数字，请写成“50万”或“500000元”")
    if d < 0:
        raise FeeInputError("金额不能为负数")
    if d > Decimal("1e13"):
        raise FeeInputError("金额超出可计算范围（超过十万亿元），请核对金额")
    return d


def acceptance_fee(
    case_type: str,
    amount=None,
    procedure: str = "ordinary",
    ending: str = "judgment",
    counterclaim: bool = False,
    on: dt.date | None = None,
    params: ParameterTree | None = None,
) -> FeeResult:
    """案件受理费 for a first-instance case (第十三条), with 第十五条/第十六条/第十八条 reductions."""
    params = params or default_parameters()
    on = on or dt.date.today()
    if case_type not in CASE_TYPES:
        raise FeeInputError(f"未知案件类型：{case_type}")
    if procedure not in PROCEDURES:
        raise FeeInputError(f"未知程序：{procedure}")
    if ending not in ENDINGS:
        raise FeeInputError(f"未知结案方式：{ending}")
    amt = _amount(amount)
    notes: list[str] = []
    base = "litigation_fee.acceptance."
    if case_type == "property" or (case_type == "ip" and amt):
        if amt is None:
            raise FeeInputError("财产案件需要诉讼请求的金额或者价额")
        lines = _scale_lines(params.value(base + "property", on), amt)
        refs = list(params[base + "property"].references)
        if case_type == "ip":
            refs += params[base + "ip_no_amount"].references
    elif case_type == "ip":
        lines, refs = [_fixed_line(params, base + "ip_no_amount", on)], []
    elif case_type == "labour":
        lines, refs = [_fixed_line(params, base + "labour", on)], []
    elif case_type == "divorce":
        lines = [_fixed_line(params, base + "divorce_base", on)]
        if amt:
            lines += [ln for ln in _scale_lines(params.value(base + "divorce_property", on), amt) if ln.fee_max > 0]
        refs = []
    elif case_type == "personality":
        lines = [_fixed_line(params, base + "personality_base", on)]
        if amt:
            lines += [ln for ln in _scale_lines(params.value(base + "personality_damages", on), amt) if ln.fee_max > 0]
        refs = []
    elif case_type == "other_non_property":
        lines, refs = [_fixed_line(params, base + "other_non_property", on)], []
    elif case_type == "admin_special":
        lines, refs = [_fixed_line(params, base + "admin_trademark_patent_maritime", on)], []
    elif case_type == "admin_other":
        lines, refs = [_fixed_line(params, base + "admin_other", on)], []
    else:
        lines, refs = [_fixed_line(params, base + "jurisdiction_objection", on)], []

    exact_min, exact_max = _exact_total(lines)
    full_min, full_max = _q(exact_min), _q(exact_max)
    if full_min != full_max:
        notes.append("该类案件的收费为幅度，具体标准由省、自治区、直辖市人民政府在幅度内制定，以受理法院核定为准。")

    reductions = []
    red = "litigation_fee.reduction."
    if ending in ("mediation", "withdrawal"):
        p = params[red + "mediation_or_withdrawal"]
        reductions.append((f"以{ENDINGS[ending]}方式结案减半", p.at(on), p.references[0]))
    if procedure == "simplified":
        p = params[red + "simplified_procedure"]
        reductions.append(("适用简易程序减半", p.at(on), p.references[0]))
    if counterclaim:
        p = params[red + "counterclaim"]
        reductions.append(("反诉/第三人请求合并审理减半", p.at(on), p.references[0]))

    fee_min, fee_max = full_min, full_max
    stacked_min = stacked_max = None
    if reductions:
        # 第十五条、第十六条 each say "减半交纳"; the 办法 does not say whether two halvings stack, so the
        # figure applies one and the stacked figure is reported beside it for the court to decide.
        factor = min(f for _, f, _ in reductions)
        fee_min, fee_max = _q(exact_min * factor), _q(exact_max * factor)
        if len(reductions) > 1:
            all_factors = Decimal(1)
            for _, f, _ in reductions:
                all_factors *= f
            stacked_min, stacked_max = _q(exact_min * all_factors), _q(exact_max * all_factors)
            notes.append(
                "多项减半情形同时存在时，《诉讼费用交纳办法》未规定能否叠加减半；上面按减半一次计算，"
                f"若受理法院叠加适用则为{_range(stacked_min, stacked_max)}，以法院核定为准。"
            )
    if ending == "withdrawal" or ending == "mediation":
        notes.append("案件受理费通常先按全额预交，调解结案或准予撤诉后按规定减半，多交部分由法院退还。")
    return FeeResult(
        kind=case_type,
        label=CASE_TYPES[case_type],
        amount=amt,
        lines=lines,
        full_min=full_min,
        full_max=full_max,
        fee_min=fee_min,
        fee_max=fee_max,
        reductions=reductions,
        notes=notes,
        references=refs,
        stacked_min=stacked_min,
        stacked_max=stacked_max,
    )


def application_fee(
    kind: str, amount=None, on: dt.date | None = None, params: ParameterTree | None = None
) -> FeeResult:
    """申请费 (第十四条): enforcement, preservation, payment order, public summons, arbitration, bankruptcy."""
    params = params or default_parameters()
    on = on or dt.date.today()
    if kind not in APPLICATION_TYPES:
        raise FeeInputError(f"未知申请类型：{kind}")
    amt = _amount(amount)
    base = "litigation_fee.application."
    notes: list[str] = []
    refs = []
    if kind == "enforcement":
        if amt:
            lines = _scale_lines(params.value(base + "enforcement", on), amt)
            refs = list(params[base + "enforcement"].references)
        else:
            lines = [_fixed_line(params, base + "enforcement_no_amount", on)]
        notes.append("执行申请费不由申请人预交，执行后交纳（第二十条），由被执行人负担（第三十八条）。")
    elif kind == "preservation":
        lines = _scale_lines(params.value(base + "preservation", on), amt or Decimal(0)) or [
            _fixed_line_from_scale(params, base + "preservation", on)
        ]
        refs = list(params[base + "preservation"].references)
        cap = params.value(base + "preservation_cap", on)
        total = _exact_total(lines)[1]
        if total > cap:
            lines.append(
                FeeLine("保全申请费上限", None, f"最多{cap:g}元", cap - _q(total), cap - _q(total),
                        params[base + "preservation_cap"].references[0], exact=cap - total)
            )
    elif kind == "payment_order":
        if amt is None:
            raise FeeInputError("申请支付令需要请求给付的金额")
        ratio = params.value(base + "payment_order_ratio", on)
        frac = ratio["numerator"] / ratio["denominator"]
        prop = _scale_lines(params.value("litigation_fee.acceptance.property", on), amt)
        full = _exact_total(prop)[1]
        lines = prop + [
            FeeLine("比照财产案件受理费标准的1/3", None, "×1/3", _q(full * frac) - _q(full), _q(full * frac) - _q(full),
                    params[base + "payment_order_ratio"].references[0], exact=full * frac - full)
        ]
    elif kind == "public_summons":
        lines = [_fixed_line(params, base + "public_summons", on)]
    elif kind == "revoke_arbitral_award":
        lines = [_fixed_line(params, base + "revoke_arbitral_award", on)]
    else:  # bankruptcy
        if amt is None:
            raise FeeInputError("破产案件需要破产财产总额")
        prop = _scale_lines(params.value("litigation_fee.acceptance.property", on), amt)
        full = _exact_total(prop)[1]
        half = full * params.value(base + "bankruptcy_factor", on)
        cap = params.value(base + "bankruptcy_cap", on)
        target = min(half, cap)
        lines = prop + [
            FeeLine("按财产案件受理费标准减半，最高不超过30万元", None, "×1/2（上限）", _q(target) - _q(full),
                    _q(target) - _q(full), params[base + "bankruptcy_factor"].references[0], exact=target - full)
        ]
        notes.append("破产申请费清算后交纳（第二十条），从破产财产中拨付（第四十二条）。")
    exact_min, exact_max = _exact_total(lines)
    fee_min, fee_max = _q(exact_min), _q(exact_max)
    return FeeResult(kind, APPLICATION_TYPES[kind], amt, lines, fee_min, fee_max, fee_min, fee_max, [], notes, refs)


def _fixed_line_from_scale(params: ParameterTree, name: str, on: dt.date) -> FeeLine:
    first = params.value(name, on).brackets[0]
    return FeeLine(first.reference.quote, None, f"每件{first.amount:g}元", first.amount, first.amount,
                   first.reference)


def _range(lo: Decimal, hi: Decimal) -> str:
    return yuan(lo) if lo == hi else f"{yuan(lo)}至{yuan(hi)}"


def describe(result: FeeResult) -> str:
    return _range(result.fee_min, result.fee_max)


def describe_full(result: FeeResult) -> str:
    """The fee before reductions."""
    return _range(result.full_min, result.full_max)
