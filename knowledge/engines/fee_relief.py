"""Litigation-fee relief (司法救助: 缓交、减交、免交) from fee_relief_rule records and parameters.

免交 only for natural persons and the 30% floor for 减交 are parameters (``fee_relief/*.yml``), not code.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from knowledge.kb import KnowledgeBase
from knowledge.schema import FeeReliefGuide, FeeReliefRule

PARTY_TYPES = ("natural_person", "enterprise", "organisation")
RELIEF_ORDER = ("免交", "减交", "缓交")


@dataclass
class ReliefResult:
    party_type: str
    eligible: list[FeeReliefRule]  # grounds whose circumstances match, strongest relief first
    mandatory: list[FeeReliefRule]  # of those, the ones the court 应当准予
    guides: list[FeeReliefGuide]
    waiver_excluded: bool  # the party asked about or matched 免交 but is not a natural person
    min_reduction_ratio: float
    notes: list[str] = field(default_factory=list)

    @property
    def reliefs(self) -> list[str]:
        return [r for r in RELIEF_ORDER if any(e.relief == r for e in self.eligible)]

    @property
    def record_ids(self) -> list[str]:
        return [r.id for r in self.eligible] + [g.id for g in self.guides]


def evaluate(
    kb: KnowledgeBase, party_type: str, circumstances: set[str] | list[str], on: dt.date | None = None
) -> ReliefResult:
    if party_type not in PARTY_TYPES:
        raise ValueError(f"party_type must be one of {PARTY_TYPES}")
    on = on or dt.date.today()
    circ = set(circumstances or ())
    natural_only = bool(kb.parameters.value("fee_relief.waiver_natural_persons_only", on))
    min_ratio = float(kb.parameters.value("fee_relief.reduction_min_ratio", on))
    matching = [r for r in kb.of_type(FeeReliefRule) if circ & set(r.circumstances)]
    eligible, excluded = [], False
    for rule in matching:
        if rule.relief == "免交" and natural_only and party_type != "natural_person":
            excluded = True
            continue
        if party_type in rule.party_types:
            eligible.append(rule)
    if not eligible and party_type != "natural_person" and circ:
        # 确有困难 is all an enterprise can claim: the "other circumstances" grounds stay open to it.
        eligible = [r for r in kb.of_type(FeeReliefRule) if "funds_shortage" in r.circumstances]
    eligible.sort(key=lambda r: (RELIEF_ORDER.index(r.relief), not r.mandatory, r.id))
    aspects = ["who", "materials", "timing", "decision", "cost_bearing"]
    if party_type != "natural_person":
        aspects.insert(1, "enterprise")
    guides = sorted(
        (g for g in kb.of_type(FeeReliefGuide) if g.aspect in aspects), key=lambda g: aspects.index(g.aspect)
    )
    notes = []
    if excluded or (party_type != "natural_person" and natural_only):
        notes.append("诉讼费用的免交只适用于自然人：企业和其他组织可以申请缓交或者减交，不能申请免交。")
    if any(r.relief == "减交" for r in eligible):
        notes.append(f"法院准予减交的，减交比例不得低于{min_ratio:.0%}。")
    if eligible and not any(r.mandatory for r in eligible):
        notes.append("属于“确实需要的其他情形”，是否准予由法院审查决定，需要用材料证明确有困难。")
    return ReliefResult(
        party_type=party_type,
        eligible=eligible,
        mandatory=[r for r in eligible if r.mandatory],
        guides=guides,
        waiver_excluded=excluded or (party_type != "natural_person" and natural_only),
        min_reduction_ratio=min_ratio,
        notes=notes,
    )
