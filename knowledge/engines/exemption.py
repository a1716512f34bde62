"""Penalty-exemption eligibility (首违不罚 / 轻微不罚 / 从轻减轻 / 时效), evaluated from exemption_rule records.

The rules are data (``records/exemption_rules.yml``); this module only evaluates them: a rule holds when every
fact in its ``when`` holds, the lowest priority among holding rules decides, and rules that could still hold
once an unknown fact is known are returned so the conversation can ask for it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.kb import KnowledgeBase
from knowledge.schema import ComplianceItem, ExemptionRule

FACTS = (
    "first_violation",
    "harm",
    "corrected",
    "no_fault",
    "mitigating",
    "years_undiscovered",
    "life_health_finance",
    "refunded",
    "no_actual_damage",
)
HARM_LEVELS = ("none", "minor", "serious")


@dataclass
class ExemptionResult:
    outcome: str
    rule: ExemptionRule
    holding: list[ExemptionRule]  # every rule that holds, best first
    open_rules: list[ExemptionRule]  # better rules that hold if the missing facts turn out favourable
    missing: list[str]  # facts that would decide the open rules
    item: ComplianceItem | None = None
    caveats: list[str] = field(default_factory=list)

    @property
    def record_ids(self) -> list[str]:
        ids = [self.rule.id]
        if self.item:
            ids.insert(0, self.item.id)
        return ids


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


def evaluate(kb: KnowledgeBase, facts: dict[str, Any], item_id: str | None = None) -> ExemptionResult:
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
    if item is not None and best.outcome in ("不予处罚", "可以不予处罚"):
        if item.exemption.possible == "none":
            caveats.insert(0, f"注意：就“{item.title}”而言，{item.exemption.reason}")
        elif item.exemption.possible == "case_by_case":
            caveats.insert(0, f"就“{item.title}”而言：{item.exemption.reason}")
    return ExemptionResult(best.outcome, best, holding, open_rules, missing, item, caveats)
