"""Penalty-exemption eligibility (首违不罚 / 轻微不罚 / 从轻减轻 / 时效), evaluated from exemption_rule records.

The rules are data (``records/exemption_rules.yml``); this module only evaluates them: a rule holds when every
fact in its ``when`` holds, the lowest priority among holding rules decides, and rules that could still hold
once an unknown fact is known are returned so the conversation can ask for it.

行政处罚法 第三十三条第一款 has two grounds that differ in force: 违法行为轻微 + 及时改正 + 没有造成危害后果 →
不予处罚 (the authority must not punish); 初次违法 + 危害后果轻微 + 及时改正 → 可以不予处罚 (it may). Whether the
act was 轻微 is a fact of its own (``minor_violation``), not the same as its harm. For those two grounds the
compliance item's own assessment (``exemption.possible``) shapes the verdict the user reads: an item the record
says is never 轻微 (unlicensed travel agency ...) is "通常不能免罚", whatever the general rule would give.

Published lists (首违不罚/轻微不罚) are named only where they apply: the list's region must contain the user's
region and, when the list's domains are known, the item must be in one of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.kb import KnowledgeBase
from knowledge.schema import ComplianceItem, ExemptionList, ExemptionRule

FACTS = (
    "first_violation",
    "harm",
    "corrected",
    "minor_violation",
    "no_fault",
    "mitigating",
    "years_undiscovered",
    "life_health_finance",
    "refunded",
    "no_actual_damage",
)
HARM_LEVELS = ("none", "minor", "serious")
EXEMPT_OUTCOMES = ("不予处罚", "可以不予处罚")
ITEM_GROUNDS = ("minor", "first_violation")  # grounds an item's exemption.possible speaks to
NOT_EXEMPT = "通常不能免罚"
MAYBE_EXEMPT = "可能不予处罚"
LIST_KINDS = ("首违不罚", "轻微不罚")
NATIONWIDE = "全国"


@dataclass
class ExemptionResult:
    outcome: str  # what the rule of law gives for the facts (不予处罚, 可以不予处罚, 一般处罚 ...)
    rule: ExemptionRule
    holding: list[ExemptionRule]  # every rule that holds, best first
    open_rules: list[ExemptionRule]  # better rules that hold if the missing facts turn out favourable
    missing: list[str]  # facts that would decide the open rules
    item: ComplianceItem | None = None
    caveats: list[str] = field(default_factory=list)
    verdict: str = ""  # the outcome combined with the item's own assessment: what the card's title says
    lists: list[ExemptionList] = field(default_factory=list)  # published lists that apply to this user and item

    @property
    def record_ids(self) -> list[str]:
        ids = [self.rule.id]
        if self.item:
            ids.insert(0, self.item.id)
        return ids + [x.id for x in self.lists]


def _test(expected: Any, actual: Any) -> bool | None:
    """True/False when decided, None when the fact is unknown."""
    if actual is None:
        return None
    if isinstance(expected, dict):
        ok = True
        for op, bound in expected.items():
            value = float(actual)
            ok &= {"gte": value >= bound, "gt": value > bound, "lt": value < bound, "lte": value <= bound}[op]
        return ok
    if isinstance(expected, list):
        if isinstance(actual, (list, tuple, set)):
            return bool(set(actual) & set(expected))
        return actual in expected
    return actual == expected


def _applies_to(rule: ExemptionRule, item: ComplianceItem | None) -> bool:
    if not rule.applies_to:
        return True
    if item is None:
        return False
    laws = {c.law for c in item.citations}
    return item.id in rule.applies_to or bool(laws & set(rule.applies_to))


def combined_verdict(rule: ExemptionRule, item: ComplianceItem | None) -> str:
    """The statutory outcome, unless the item's own assessment rules the ground out or leaves it to the case."""
    if item is None or rule.ground not in ITEM_GROUNDS or rule.outcome not in EXEMPT_OUTCOMES:
        return rule.outcome
    if item.exemption.possible == "none":
        return NOT_EXEMPT
    if item.exemption.possible == "case_by_case" and rule.outcome == "不予处罚":
        return MAYBE_EXEMPT
    return rule.outcome


def applicable_lists(kb: KnowledgeBase, item: ComplianceItem | None, region: str | None) -> list[ExemptionList]:
    """首违不罚/轻微不罚 lists that cover this user's region and this item's domain, nationwide lists last.

    A list whose domains are not known here is named only to users in its own region (never nationwide); with no
    item (a violation the knowledge base does not hold) only such lists remain, since the domain is unknown.
    """
    chain = kb.region_chain(region) if region else []
    if NATIONWIDE not in chain:
        chain.append(NATIONWIDE)
    out = []
    for lst in kb.of_type(ExemptionList):
        if lst.kind not in LIST_KINDS or lst.region not in chain:
            continue
        if lst.domains:
            if item is None or item.domain not in lst.domains:
                continue
        elif lst.region == NATIONWIDE:
            continue
        out.append(lst)
    out.sort(key=lambda x: (chain.index(x.region), LIST_KINDS.index(x.kind), x.id))
    return out


def evaluate(
    kb: KnowledgeBase, facts: dict[str, Any], item_id: str | None = None, region: str | None = None
) -> ExemptionResult:
    unknown = set(facts) - set(FACTS)
    if unknown:
        raise ValueError(f"unknown facts {sorted(unknown)}")
    if facts.get("harm") is not None and facts["harm"] not in HARM_LEVELS:
        raise ValueError(f"harm must be one of {HARM_LEVELS}")
    item = kb.records.get(item_id) if item_id else None
    if item is not None and not isinstance(item, ComplianceItem):
        item = None
    rules = sorted(
        (r for r in kb.of_type(ExemptionRule) if _applies_to(r, item)), key=lambda r: (r.priority, r.id)
    )
    holding, undecided = [], []
    for rule in rules:
        results = [_test(v, facts.get(k)) for k, v in rule.when.items()]
        if any(r is False for r in results):
            continue
        if all(r is True for r in results):
            holding.append(rule)
        else:
            undecided.append(rule)
    best = holding[0]  # the general rule has no conditions, so something always holds
    open_rules = [r for r in undecided if r.priority < best.priority]
    missing = sorted({k for r in open_rules for k in r.when if facts.get(k) is None}, key=FACTS.index)
    caveats = list(best.caveats)
    if item is not None and best.ground in ITEM_GROUNDS and best.outcome in EXEMPT_OUTCOMES:
        if item.exemption.possible == "none":
            caveats.insert(0, f"就“{item.title}”而言，{item.exemption.reason}")
        elif item.exemption.possible == "case_by_case":
            caveats.insert(0, f"就“{item.title}”而言：{item.exemption.reason}")
    return ExemptionResult(
        outcome=best.outcome,
        rule=best,
        holding=holding,
        open_rules=open_rules,
        missing=missing,
        item=item,
        caveats=caveats,
        verdict=combined_verdict(best, item),
        lists=applicable_lists(kb, item, region),
    )


def listed_lines(kb: KnowledgeBase, item: ComplianceItem) -> list[str]:
    """What the public reports say of this item on a published list: paraphrase, marked as such, with conflicts."""
    out = []
    for entry in item.exemption.listed:
        lst = kb.records[entry.list]
        line = f"据公开报道（转述，不是清单原文）：{lst.issuer}{lst.title}列有“{entry.entry}”"
        if entry.conditions:
            line += "，条件是：" + "；".join(entry.conditions)
        out.append(line + "。" + (entry.note or "") + "以发布机关公布的原文为准。")
    return out
