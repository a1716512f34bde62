"""What a newly registered business is told on the day it registers: one screen first, the rest one tap away.

Beihai hands new businesses a printed criminal-risk notice (seed 003 #8); a phone push must do better than a
printout.  ``compose`` builds, from the knowledge base and the relevance data (``knowledge.relevance``):

- the **first push** (at most ``FIRST_PUSH_LIMIT`` characters, one phone screen): who it is for (name, kind of
  business, industry), the 3–5 things that matter most for this industry and kind, each as "what to do" with its
  basis in one line, and the first annual report as it applies to this kind of business;
- the **first-30-days checklist**: licences, certificates and registrations before and just after opening, each
  with its statute article (quoted verbatim in the citations), the first annual report with what is quoted and
  what is not, and the licences whose statutes the store lacks;
- the **criminal risks** tagged for the industry and kind (behind a button; nothing untagged).

The kind of business comes from the unified social credit code (GB 32100: position 1 ``9`` = registered by market
regulation; position 2 ``1`` 企业, ``2`` 个体工商户, ``3`` 农民专业合作社) and, for enterprises, from the
organisation form in the name (有限公司, 股份有限公司, 合伙, 个人独资).  This module knows nothing of Rasa or the
web: the registrations door, its batch import and the QR page all deliver what it composes.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from knowledge.kb import KnowledgeBase
from knowledge.relevance import (
    ALL_INDUSTRIES,
    PHASE_LABELS,
    PHASES,
    AnnualReportRule,
    Gap,
    RelevanceData,
    cached,
    relevant_criminal_risks,
)
from knowledge.schema import ComplianceItem, CriminalRisk

FIRST_PUSH_LIMIT = 600
MAX_STEPS, MIN_STEPS = 5, 3
NAME_LIMIT = 40  # a longer registered name is shortened in the first push (the full name is in the data)
CHINA = dt.timezone(dt.timedelta(hours=8))  # registration dates are Chinese calendar dates (no DST)
DISCLAIMER = "以上为合规指引，不构成法律意见。"
KIND_WORDS = {"其他企业": "本企业", "其他组织": "本单位"}  # how a todo's {kind} reads for the kinds without a plain name


# ---------------------------------------------------------------------------------------------- kind of business


@dataclass(frozen=True)
class BusinessKind:
    key: str  # one of knowledge.relevance.KINDS
    label: str  # what the registrant reads: 个体工商户, 有限责任公司 ...
    reason: str  # how it was told: which characters of the code, which words of the name


def business_kind(credit_code: str, name: str = "") -> BusinessKind:
    """The kind of business from the credit code's first two characters and, for enterprises, the name."""
    code = unicodedata.normalize("NFKC", credit_code or "").strip().upper()
    name = unicodedata.normalize("NFKC", name or "")
    head = code[:2]
    if head == "92":
        return BusinessKind("个体工商户", "个体工商户", "统一社会信用代码前两位“92”：个体工商户")
    if head == "93":
        return BusinessKind("农民专业合作社", "农民专业合作社", "统一社会信用代码前两位“93”：农民专业合作社")
    if not code.startswith("9"):
        return BusinessKind("其他组织", "非市场监管部门登记的组织",
                            f"统一社会信用代码第1位“{code[:1]}”：不是市场监督管理部门登记的经营主体")
    why = f"统一社会信用代码前两位“{head}”：企业；名称含"
    if "股份" in name and "公司" in name:
        return BusinessKind("股份有限公司", "股份有限公司", why + "“股份”“公司”")
    if "有限" in name and "公司" in name:
        return BusinessKind("有限责任公司", "有限责任公司", why + "“有限”“公司”")
    if "合伙" in name:
        return BusinessKind("合伙企业", "合伙企业", why + "“合伙”")
    if "个人独资" in name or "独资企业" in name:
        return BusinessKind("个人独资企业", "个人独资企业", why + "“独资”")
    return BusinessKind("其他企业", "企业", f"统一社会信用代码前两位“{head}”：企业（名称未显示公司、合伙或独资的组织形式）")


# ---------------------------------------------------------------------------------------------- industries


def match_industries(kb: KnowledgeBase, text: str) -> list[str]:
    """Canonical industries named in a free-text industry (“餐饮服务”, “小吃店”, “批发和零售业” ...).

    A match inside a longer match of another industry is dropped (“烟草零售” is not also 零售)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    spans: list[tuple[int, int, str]] = []
    for canonical, forms in kb.vocab.get("industry", {}).items():
        if canonical == ALL_INDUSTRIES:
            continue
        for form in {canonical, *forms}:
            form = unicodedata.normalize("NFKC", form).lower()
            start = text.find(form) if form else -1
            while start != -1:
                spans.append((start, start + len(form), canonical))
                start = text.find(form, start + 1)
    kept = [s for s in spans if not any(o[2] != s[2] and o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0]
                                        for o in spans)]
    out: list[str] = []
    for _, _, canonical in sorted(kept):
        if canonical not in out:
            out.append(canonical)
    return out


# ---------------------------------------------------------------------------------------------- composition


@dataclass
class Step:
    """One thing to do: a checklist item or a tagged compliance item."""

    id: str  # onboarding.* (checklist) or a compliance record id
    title: str
    todo: str
    weight: int
    specificity: int  # 0 tagged for the industry itself, 1 for this kind of business, 2 for every business
    phase: str
    basis: tuple[str, str]  # (law key, article) named in the one-line basis
    quotes: list[tuple[str, str, str]]  # (law key, article, verbatim quote)
    records: list[str]  # record ids a user can open for penalties and advice
    caveat: str = ""


@dataclass
class AnnualReport:
    rule: AnnualReportRule
    year: int  # year of registration
    push_line: str
    lines: list[str]
    overdue: bool  # the first window has already closed

    @property
    def deadline(self) -> dt.date | None:
        return dt.date(self.year + 1, 6, 30) if self.rule.window else None


@dataclass(frozen=True)
class FollowUp:
    """Something one tap away: the door turns it into a button into the conversation."""

    what: str  # compliance_list | criminal_risks | annual_report
    title: str  # the button's text
    industry: str = ""  # compliance_list, criminal_risks: the canonical industry
    record: str = ""  # annual_report: the guide record to open


FOLLOW_UP_WORDS = {"compliance_list": "本行业合规事项清单", "criminal_risks": "相关刑事风险", "annual_report": "年报规则"}


@dataclass
class Onboarding:
    name: str
    kind: BusinessKind
    industry_text: str  # what the registration said
    industries: list[str]  # canonical industries matched
    steps: list[Step]  # every relevant step, most relevant first
    top: list[Step]  # the 3–5 in the first push
    checklist: list[Step]  # the first-30-days checklist (licences, certificates, registrations)
    gaps: list[Gap]  # licences whose statutes the store lacks
    annual: AnnualReport
    risks: list[CriminalRisk]
    follow_ups: list[FollowUp] = field(default_factory=list)

    # ------------------------------------------------------------------ text
    @property
    def industry_label(self) -> str:
        return "、".join(self.industries) if self.industries else "行业未能识别"

    def first_push_text(self, steps: list[Step] | None = None) -> str:
        steps = self.top if steps is None else steps
        name = self.name if len(self.name) <= NAME_LIMIT else self.name[: NAME_LIMIT - 1] + "…"
        lines = ["【开业合规提醒】", f"{name}（{self.kind.label} · {self.industry_label}）"]
        lines += [f"先确认：{g.push}" for g in self.gaps]
        lines.append(f"开业先做好这{len(steps)}件事：")
        lines += [f"{i}. {s.todo}（{_ref(*s.basis)}）" for i, s in enumerate(steps, 1)]
        a = self.annual
        basis = f"（{_ref(a.rule.basis.law, a.rule.basis.article)}）" if a.rule.basis else ""
        lines.append(a.push_line + ("，该期限已过，未报的请尽快向登记机关了解补报" if a.overdue else "") + basis)
        words = "、".join(FOLLOW_UP_WORDS[f.what] for f in self.follow_ups)
        lines.append("开业30天清单见下一条" + (f"；点下方按钮看{words}。" if words else "。"))
        lines.append(DISCLAIMER)
        return "\n".join(lines)

    def checklist_text(self) -> str:
        lines = [f"【开业30天清单 · {self.industry_label}】", f"{self.kind.label}，按时间先后办，办完一项勾一项："]
        for phase in PHASES:
            items = [s for s in self.checklist if s.phase == phase]
            if items:
                lines.append("▍" + PHASE_LABELS[phase])
                lines += [f"□ {s.title}：{s.todo}（{_ref(*s.basis)}）" for s in items]
        lines.append("▍首次年报")
        lines += self.annual.lines
        lines += [f"未引用：{t}" for t in self.annual.rule.not_quoted]
        notes = [f"{s.title}：{s.caveat}" for s in self.checklist if s.caveat] + [g.text for g in self.gaps]
        if notes:
            lines.append("▍提示")
            lines += notes
        lines.append("以上为合规指引，仅供参考，不构成法律意见；具体以主管部门的要求为准。")
        return "\n".join(lines)

    # ------------------------------------------------------------------ citations
    def first_push_quotes(self) -> list[tuple[str, str, str]]:
        return _unique([q for s in self.top for q in s.quotes if (q[0], q[1]) == s.basis]
                       + [(c.law, c.article, c.quote) for c in self.annual.rule.citations])

    def checklist_quotes(self) -> list[tuple[str, str, str]]:
        return _unique([q for s in self.checklist for q in s.quotes]
                       + [(c.law, c.article, c.quote) for c in self.annual.rule.citations])

    def first_push_records(self) -> list[str]:
        guide = [self.annual.rule.guide] if self.annual.rule.guide else []
        return _unique([r for s in self.top for r in s.records] + guide)

    def checklist_records(self) -> list[str]:
        return _unique([r for s in self.checklist for r in s.records])


def _ref(law: str, article: str) -> str:
    return f"{law}{article}"


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))


def compose(kb: KnowledgeBase, name: str, credit_code: str, industry_text: str, industries: list[str] | None = None,
            registered_on: dt.date | None = None, today: dt.date | None = None,
            data: RelevanceData | None = None) -> Onboarding:
    """Everything a new registrant is told, ranked by relevance to its industries and kind of business."""
    data = data or cached()
    name = " ".join(unicodedata.normalize("NFKC", name or "").split())
    today = today or dt.datetime.now(CHINA).date()
    registered_on = registered_on or today
    industries = match_industries(kb, industry_text) if industries is None else list(industries)
    kind = business_kind(credit_code, name)
    steps = _steps(kb, data, industries, kind.key)
    checklist = [s for s in steps if s.id.startswith("onboarding.")]
    gaps = [g for g in data.gaps if set(g.industries) & set(industries)]
    rule = data.annual_rule(kind.key)
    if rule is None:  # validate proves every kind has a rule; never silently tell nothing
        raise LookupError(f"no annual-report rule for {kind.key}")
    year = registered_on.year
    annual = AnnualReport(rule=rule, year=year, push_line=rule.push.format(year=year, next=year + 1),
                          lines=[t.format(year=year, next=year + 1) for t in rule.lines],
                          overdue=rule.window and today > dt.date(year + 1, 6, 30))
    out = Onboarding(name=name, kind=kind, industry_text=industry_text, industries=industries, steps=steps, top=[],
                     checklist=checklist, gaps=gaps, annual=annual,
                     risks=relevant_criminal_risks(kb, industries, kind.key, data) if industries else [])
    out.follow_ups = _follow_ups(out)
    out.top = _top(out, steps)
    return out


def _follow_ups(out: Onboarding) -> list[FollowUp]:
    ups = []
    if out.industries:
        main = out.industries[0]
        ups.append(FollowUp("compliance_list", f"{main}合规事项清单", industry=main))
        if out.risks:
            ups.append(FollowUp("criminal_risks", f"{main}相关刑事风险", industry=main))
    if out.annual.rule.guide:
        ups.append(FollowUp("annual_report", "年报怎么报", record=out.annual.rule.guide))
    return ups


def _steps(kb: KnowledgeBase, data: RelevanceData, industries: list[str], kind: str) -> list[Step]:
    """Checklist items and tagged compliance items that apply, most relevant first.

    Order: weight; then tagged for the industry itself, then for this kind of business only, then for every
    business; then the earlier deadline (开业前 before 30日内 before 经营中); then file order.  A compliance tag whose record is already the
    ``related`` record of a checklist item that applies is left out (the same thing twice)."""
    steps: list[tuple[tuple, Step]] = []
    covered: set[str] = set()
    for order, item in enumerate(data.checklist):
        w = item.weight(industries, kind)
        if not w:
            continue
        covered.update(item.related)
        first = item.citations[0]
        tier = _specificity(item, industries)
        steps.append(((-w, tier, PHASES.index(item.phase), 0, order), Step(
            id=item.id, title=item.title, todo=item.todo.format(kind=KIND_WORDS.get(kind, kind)), weight=w,
            specificity=tier,
            phase=item.phase, basis=(first.law, first.article),
            quotes=[(c.law, c.article, c.quote) for c in item.citations], records=list(item.related),
            caveat=item.caveat)))
    for order, (rid, tag) in enumerate(data.tags.items()):
        rec = kb.records.get(rid)
        if not isinstance(rec, ComplianceItem) or rid in covered:
            continue
        w = tag.weight(industries, kind)
        if not w:
            continue
        obligations = [c for c in rec.citations if c.role == "obligation"]
        basis = (tag.basis.law, tag.basis.article) if tag.basis else (obligations[0].law, obligations[0].article)
        tier = _specificity(tag, industries)
        steps.append(((-w, tier, PHASES.index("ongoing"), 1, order), Step(
            id=rid, title=rec.title, todo=tag.todo, weight=w, specificity=tier, phase="ongoing",
            basis=basis, quotes=[(c.law, c.article, c.quote) for c in obligations], records=[rid])))
    return [s for _, s in sorted(steps, key=lambda pair: pair[0])]


def _specificity(rel, industries: list[str]) -> int:
    return 0 if rel.specific_to(industries) else 1 if rel.kinds else 2


def _top(out: Onboarding, steps: list[Step]) -> list[Step]:
    """The first 3–5 steps, as many as fit one screen (the limit counts every character of the push)."""
    top = steps[:MAX_STEPS]
    while len(top) > MIN_STEPS and len(out.first_push_text(top)) > FIRST_PUSH_LIMIT:
        top = top[:-1]
    if len(out.first_push_text(top)) > FIRST_PUSH_LIMIT:
        raise ValueError(f"first push for {out.industry_label}/{out.kind.key} exceeds {FIRST_PUSH_LIMIT} characters")
    return top
