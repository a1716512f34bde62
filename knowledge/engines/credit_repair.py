"""Credit repair: which procedure gets a business off a list, from credit_repair records."""
from __future__ import annotations

from dataclasses import dataclass

from knowledge.kb import KnowledgeBase
from knowledge.schema import CreditRepairProcedure

ISSUES = ("失信被执行人", "限制高消费", "经营异常名录", "行政处罚信息公示", "严重违法失信名单")


@dataclass
class RepairResult:
    issue: str | None
    procedures: list[CreditRepairProcedure]

    @property
    def record_ids(self) -> list[str]:
        return [p.id for p in self.procedures]


def plan_repair(kb: KnowledgeBase, issue: str | None, situations: set[str] | list[str] = ()) -> RepairResult:
    """Procedures for ``issue`` (all issues when None), those matching the user's situation first."""
    if issue is not None and issue not in ISSUES:
        raise ValueError(f"issue must be one of {ISSUES}")
    wanted = set(situations or ())
    procs = [p for p in kb.of_type(CreditRepairProcedure) if issue is None or p.issue == issue]
    procs.sort(key=lambda p: (-len(wanted & set(p.situations)), ISSUES.index(p.issue), p.id))
    return RepairResult(issue, procs)
