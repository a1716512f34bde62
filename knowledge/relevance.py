"""Relevance data for new registrants: which records matter to which industry and kind of business.

A new business should be told what matters to *it*: a noodle shop needs its food licence and health certificates,
not a warning about illegal deposit-taking.  That judgement is data (``data/relevance/*.yml``), not rules in the
web front, so a knowledge maintainer can read and correct it:

- ``tags``: relevance of existing records (compliance items, criminal risks), keyed by record id: an industry →
  weight map, optional kinds of business, and for compliance items a one-line "what to do";
- ``checklist``: the licences, certificates and registrations to handle before and just after opening (the
  "first 30 days" checklist), each with its statute article quoted verbatim;
- ``gaps``: licences an industry may need whose statute is not in the store (named, never quoted);
- ``annual_report``: the first annual report per kind of business, with what is quoted and what is not.

Weights: 5 = a precondition (cannot open otherwise), 4 = a licence needed to open, 3 = first priority for the
industry, 2 = important, 1 = relevant.  ``check`` (run by ``python -m knowledge validate``) proves that every id
exists, every industry and kind is known, every quote is verbatim, and that criminal risks are tagged industry by
industry (never "全部行业"), so no criminal risk reaches a registrant whose industry nobody tagged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, conint, validator

from knowledge.kb import DATA_DIR, KnowledgeBase, Problem
from knowledge.schema import ComplianceItem, CriminalRisk, Guide, Strict

RELEVANCE_DIR = DATA_DIR / "relevance"
ALL_INDUSTRIES = "全部行业"

# Kinds of business (市场主体登记管理条例实施细则 第九条 lists the types; GB 32100 codes tell three of them apart).
KINDS = ("个体工商户", "有限责任公司", "股份有限公司", "合伙企业", "个人独资企业", "农民专业合作社", "其他企业", "其他组织")
KIND_GROUPS = {
    "公司": ("有限责任公司", "股份有限公司"),
    "企业": ("有限责任公司", "股份有限公司", "合伙企业", "个人独资企业", "其他企业"),
}
PHASES = ("before_opening", "opening_day", "within_30_days", "on_hiring", "ongoing")
PHASE_LABELS = {"before_opening": "开业前", "opening_day": "开业当天", "within_30_days": "开业后30日内",
                "on_hiring": "招用员工时", "ongoing": "经营中"}

Weight = conint(ge=1, le=5)


def expand_kinds(names: list[str]) -> set[str]:
    out: set[str] = set()
    for n in names:
        out.update(KIND_GROUPS.get(n, (n,)))
    return out


class Ref(Strict):
    law: str
    article: str


class Quote(Strict):
    law: str
    article: str
    quote: str = Field(..., min_length=4)


class Relevance(Strict):
    industries: dict[str, Weight]
    kinds: list[str] = []

    @validator("industries")
    def _some_industry(cls, v: dict) -> dict:
        if not v:
            raise ValueError("at least one industry")
        return v

    def weight(self, industries: list[str], kind: str) -> int:
        """How much this matters to a business of these industries and kind (0: not at all)."""
        if self.kinds and kind not in expand_kinds(self.kinds):
            return 0
        named = [self.industries[i] for i in industries if i in self.industries]
        general = self.industries.get(ALL_INDUSTRIES, 0)
        return max(named + [general])

    def specific_to(self, industries: list[str]) -> bool:
        return any(i in self.industries for i in industries)


class Tag(Relevance):
    todo: str = ""
    basis: Ref | None = None


class ChecklistItem(Relevance):
    id: str = Field(..., regex=r"^onboarding\.[a-z0-9_]+$")
    title: str = Field(..., min_length=2)
    phase: Literal["before_opening", "opening_day", "within_30_days", "on_hiring", "ongoing"]
    todo: str = Field(..., min_length=4)
    related: list[str] = []
    citations: list[Quote] = Field(..., min_items=1)
    caveat: str = ""


class Gap(Strict):
    industries: list[str] = Field(..., min_items=1)
    text: str = Field(..., min_length=8)  # for the checklist
    push: str = Field(..., min_length=8)  # one line of the first push


class AnnualReportRule(Strict):
    kinds: list[str] = Field(..., min_items=1)
    guide: str = ""
    window: bool
    first_year: Literal["quoted", "derived"] | None = None
    push: str
    basis: Ref | None = None
    lines: list[str] = Field(..., min_items=1)
    not_quoted: list[str] = []
    citations: list[Quote] = Field(..., min_items=1)

    @validator("first_year", always=True)
    def _first_year_with_window(cls, v, values):
        if values.get("window") and v is None:
            raise ValueError("first_year (quoted or derived) is required when there is a reporting window")
        return v


@dataclass
class RelevanceData:
    tags: dict[str, Tag] = field(default_factory=dict)  # record id -> tag, in file order
    checklist: list[ChecklistItem] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    annual_report: list[AnnualReportRule] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # found while reading

    def annual_rule(self, kind: str) -> AnnualReportRule | None:
        return next((r for r in self.annual_report if kind in expand_kinds(r.kinds)), None)


def load(directory: Path = RELEVANCE_DIR) -> RelevanceData:
    """Every ``*.yml`` under ``directory``, merged; problems (bad YAML, schema, duplicates) are collected."""
    tags: dict[str, Tag] = {}
    checklist: list[ChecklistItem] = []
    gaps: list[Gap] = []
    annual: list[AnnualReportRule] = []
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.yml")):
        rel = f"relevance/{path.name}"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            problems.append(Problem(rel, f"not valid YAML: {e}"))
            continue
        unknown = set(raw) - {"tags", "checklist", "gaps", "annual_report"}
        if unknown:
            problems.append(Problem(rel, f"unknown top-level keys {sorted(unknown)}"))
        for rid, body in (raw.get("tags") or {}).items():
            if rid in tags:
                problems.append(Problem(f"{rel}#{rid}", "tagged twice"))
                continue
            tag = _parse(Tag, body, f"{rel}#{rid}", problems)
            if tag is not None:
                tags[rid] = tag
        for i, body in enumerate(raw.get("checklist") or []):
            where = f"{rel}#{body.get('id', i) if isinstance(body, dict) else i}"
            item = _parse(ChecklistItem, body, where, problems)
            if item is not None:
                checklist.append(item)
        gaps += [g for i, body in enumerate(raw.get("gaps") or [])
                 if (g := _parse(Gap, body, f"{rel}#gaps[{i}]", problems)) is not None]
        annual += [r for i, body in enumerate(raw.get("annual_report") or [])
                   if (r := _parse(AnnualReportRule, body, f"{rel}#annual_report[{i}]", problems)) is not None]
    return RelevanceData(tags=tags, checklist=checklist, gaps=gaps, annual_report=annual, problems=problems)


def _parse(cls, body, where: str, problems: list[Problem]):
    if not isinstance(body, dict):
        problems.append(Problem(where, "entry is not a mapping"))
        return None
    try:
        return cls(**body)
    except ValidationError as e:
        problems.append(Problem(where, "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
                                                 for err in e.errors())))
        return None


@lru_cache(maxsize=4)
def cached(directory: Path = RELEVANCE_DIR) -> RelevanceData:
    return load(directory)


# ---------------------------------------------------------------------------------------------- ranking


def relevant_criminal_risks(kb: KnowledgeBase, industries: list[str], kind: str | None = None,
                            data: RelevanceData | None = None) -> list[CriminalRisk]:
    """Criminal risks tagged for one of these industries (and this kind), most relevant first.

    A risk nobody tagged for the industry is never returned, whatever its record's own ``industries`` say."""
    data = data or cached()
    scored = []
    for order, (rid, tag) in enumerate(data.tags.items()):
        rec = kb.records.get(rid)
        if not isinstance(rec, CriminalRisk):
            continue
        if kind is not None and tag.kinds and kind not in expand_kinds(tag.kinds):
            continue
        weight = max([tag.industries[i] for i in industries if i in tag.industries] or [0])
        if weight:
            scored.append((-weight, order, rec))
    return [rec for _, _, rec in sorted(scored, key=lambda s: s[:2])]


# ---------------------------------------------------------------------------------------------- validation


def check(kb: KnowledgeBase, data: RelevanceData | None = None) -> list[Problem]:
    """Everything wrong with the relevance data, naming the file and entry (see the module docstring)."""
    from knowledge.validate import quote_problem

    data = data if data is not None else load()
    problems = list(data.problems)
    known = set(kb.vocab.get("industry", {}))
    kinds = set(KINDS) | set(KIND_GROUPS)

    def industries_and_kinds(where: str, rel: Relevance, allowed: set[str] | None) -> None:
        for ind in rel.industries:
            if ind not in known:
                problems.append(Problem(where, f"industry {ind!r} is not a canonical name in vocab/industries.yml"))
            elif allowed is not None and ind not in allowed:
                problems.append(Problem(where, f"industry {ind!r} is not among the record's own industries"))
        for k in rel.kinds:
            if k not in kinds:
                problems.append(Problem(where, f"kind {k!r} is not one of {sorted(kinds)}"))

    for rid, tag in data.tags.items():
        where = f"relevance#{rid}"
        rec = kb.records.get(rid)
        if rec is None:
            problems.append(Problem(where, "tags a record id that does not exist"))
            continue
        if not isinstance(rec, (ComplianceItem, CriminalRisk)):
            problems.append(Problem(where, f"only compliance items and criminal risks are tagged, not {rec.type}"))
            continue
        allowed = None if ALL_INDUSTRIES in rec.industries else set(rec.industries)
        if isinstance(rec, CriminalRisk):
            if ALL_INDUSTRIES in tag.industries:
                problems.append(Problem(where, "criminal risks are tagged industry by industry, not 全部行业"))
            if tag.todo or tag.basis:
                problems.append(Problem(where, "criminal-risk tags carry no todo/basis (the record has prevention)"))
        elif not tag.todo:
            problems.append(Problem(where, "a compliance tag needs a one-line todo"))
        industries_and_kinds(where, tag, allowed)
        if tag.basis and not any(c.law == tag.basis.law and c.article == tag.basis.article and c.role == "obligation"
                                 for c in rec.citations):
            problems.append(Problem(where, f"basis {tag.basis.law} {tag.basis.article} is not an obligation citation "
                                           "of the record"))

    seen: set[str] = set()
    for item in data.checklist:
        where = f"relevance#{item.id}"
        if item.id in seen or item.id in kb.records:
            problems.append(Problem(where, "duplicate id"))
        seen.add(item.id)
        industries_and_kinds(where, item, None)
        try:
            item.todo.format(kind="个体工商户")
        except (KeyError, IndexError, ValueError) as e:
            problems.append(Problem(where, f"todo may only use the placeholder {{kind}}: {e}"))
        for other in item.related:
            if other not in kb.records:
                problems.append(Problem(where, f"related id {other!r} does not exist"))
        for c in item.citations:
            msg = quote_problem(kb, c.law, c.article, c.quote)
            if msg:
                problems.append(Problem(where, msg))

    for i, gap in enumerate(data.gaps):
        for ind in gap.industries:
            if ind not in known:
                problems.append(Problem(f"relevance#gaps[{i}]", f"industry {ind!r} is not canonical"))

    covered: dict[str, int] = {}
    for i, rule in enumerate(data.annual_report):
        where = f"relevance#annual_report[{i}]"
        for k in rule.kinds:
            if k not in kinds:
                problems.append(Problem(where, f"kind {k!r} is unknown"))
        for k in expand_kinds(rule.kinds):
            covered[k] = covered.get(k, 0) + 1
        if rule.guide and not isinstance(kb.records.get(rule.guide), Guide):
            problems.append(Problem(where, f"guide {rule.guide!r} is not a guide record"))
        for c in rule.citations:
            msg = quote_problem(kb, c.law, c.article, c.quote)
            if msg:
                problems.append(Problem(where, msg))
        if rule.basis and not any((c.law, c.article) == (rule.basis.law, rule.basis.article) for c in rule.citations):
            problems.append(Problem(where, "basis must be one of the rule's citations"))
        for text in [rule.push, *rule.lines]:
            try:
                text.format(year=2000, next=2001)
            except (KeyError, IndexError, ValueError) as e:
                problems.append(Problem(where, f"bad placeholder in {text[:20]!r}: {e}"))
    for k in KINDS:
        if covered.get(k, 0) != 1:
            problems.append(Problem("relevance#annual_report", f"kind {k!r} is covered by {covered.get(k, 0)} rules, "
                                                               "needs exactly one"))
    return problems
