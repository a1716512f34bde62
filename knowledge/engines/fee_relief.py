"""Litigation-fee relief (司法救助: 缓交、减交、免交) from fee_relief_rule records and parameters.

免交 only for natural persons and the 30% floor for 减交 are parameters (``fee_relief/*.yml``), not code.
A 个体工商户 is a natural person doing business (民法典 第五十四条), not an enterprise: party type
``individual_business`` gets every natural person's ground, 免交 included (a form may as well read 个体户 as
natural_person: the answer is the same), and the 减交 a court must grant when 家庭生产经营难以为继 (诉讼费用交纳办法
第四十六条(一)) is offered whenever a 个体户, or a natural person short of funds, names money trouble.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from knowledge.kb import KnowledgeBase
from knowledge.schema import FeeReliefGuide, FeeReliefRule

PARTY_TYPES = ("natural_person", "individual_business", "enterprise", "organisation")
NATURAL_PERSONS = ("natural_person", "individual_business")  # 民法典 第五十四条: 个体工商户 are natural persons
BUSINESS_HARDSHIP = {"funds_shortage", "other_hardship"}  # what a 个体户 short of money may be facing
BUSINESS_FAILING = "business_failing"  # 家庭生产经营难以为继: a ground the court must grant
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
    # stronger grounds open to this party if a fact the user has not stated holds (a 个体户 short of money:
    # 家庭生产经营难以为继 → 减交 the court must grant)
    open_grounds: list[FeeReliefRule] = field(default_factory=list)

    @property
    def reliefs(self) -> list[str]:
        return [r for r in RELIEF_ORDER if any(e.relief == r for e in self.eligible)]

    @property
    def record_ids(self) -> list[str]:
        return [r.id for r in self.eligible] + [r.id for r in self.open_grounds] + [g.id for g in self.guides]


def evaluate(
    kb: KnowledgeBase, party_type: str, circumstances: set[str] | list[str], on: dt.date | None = None
) -> ReliefResult:
    if party_type not in PARTY_TYPES:
        raise ValueError(f"party_type must be one of {PARTY_TYPES}")
    on = on or dt.date.today()
    circ = set(circumstances or ())
    natural_only = bool(kb.parameters.value("fee_relief.waiver_natural_persons_only", on))
    min_ratio = float(kb.parameters.value("fee_relief.reduction_min_ratio", on))
    natural = party_type in NATURAL_PERSONS
    as_party = "natural_person" if natural else party_type  # the records name natural persons, 个体户 included
    rules = kb.of_type(FeeReliefRule)
    matching = [r for r in rules if circ & set(r.circumstances)]
    eligible, excluded = [], False
    for rule in matching:
        if rule.relief == "免交" and natural_only and not natural:
            excluded = True
            continue
        if as_party in rule.party_types:
            eligible.append(rule)
    if not eligible and not natural and circ:
        # 确有困难 is all an enterprise can claim: the "other circumstances" grounds stay open to it.
        eligible = [r for r in rules if "funds_shortage" in r.circumstances]
    eligible.sort(key=lambda r: (RELIEF_ORDER.index(r.relief), not r.mandatory, r.id))
    # 个体户 (whether the form read them as individual_business or as the natural persons they are) who name
    # money trouble are told of the mandatory ground their business failing would give
    open_grounds = []
    if (party_type == "individual_business" and (circ & BUSINESS_HARDSHIP or not circ)) or (
            party_type == "natural_person" and "funds_shortage" in circ):
        open_grounds = [r for r in rules if BUSINESS_FAILING in r.circumstances and r not in eligible]
    aspects = ["who", "materials", "timing", "decision", "cost_bearing"]
    if party_type == "individual_business":
        aspects.insert(1, "individual_business")
    elif not natural:
        aspects.insert(1, "enterprise")
    guides = sorted(
        (g for g in kb.of_type(FeeReliefGuide) if g.aspect in aspects), key=lambda g: aspects.index(g.aspect)
    )
    notes = []
    if excluded or (not natural and natural_only):
        notes.append("诉讼费用的免交只适用于自然人：企业和其他组织可以申请缓交或者减交，不能申请免交。")
    if party_type == "individual_business" and natural_only:
        notes.append("个体工商户是从事工商业经营的自然人，不是企业：符合免交情形的也可以申请免交。")
    if any(r.relief == "减交" for r in eligible + open_grounds):
        notes.append(f"法院准予减交的，减交比例不得低于{min_ratio:.0%}。")
    if eligible and not any(r.mandatory for r in eligible):
        notes.append("属于“确实需要的其他情形”，是否准予由法院审查决定，需要用材料证明确有困难。")
    return ReliefResult(
        party_type=party_type,
        eligible=eligible,
        mandatory=[r for r in eligible if r.mandatory],
        guides=guides,
        waiver_excluded=excluded or (not natural and natural_only),
        min_reduction_ratio=min_ratio,
        notes=notes,
        open_grounds=open_grounds,
    )
