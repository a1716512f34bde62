"""Checks that make a wrong legal statement impossible to publish.

Every citation's quote must appear character for character in the named article of the vendored official text;
quoted penalty ranges and grounds must come from a cited article; ids are unique; references resolve; the
vendored texts still hash to what the manifest recorded.
"""
from __future__ import annotations

import re

from knowledge.kb import KnowledgeBase, Problem
from knowledge.schema import (
    ComplianceItem,
    CriminalRisk,
    ExemptionList,
    ExemptionRule,
    FeeReliefRule,
    MediationChannel,
)
from knowledge.statutes import TEXTS_DIR, sha256


def check(kb: KnowledgeBase) -> list[Problem]:
    problems = list(kb.problems)
    problems += _check_statute_copies(kb)
    for rid, rec in kb.records.items():
        where = f"{kb.origins[rid]}#{rid}"
        for c in rec.citations:
            msg = quote_problem(kb, c.law, c.article, c.quote)
            if msg:
                problems.append(Problem(where, msg))
        for other in rec.related:
            if other not in kb.records:
                problems.append(Problem(where, f"related id {other!r} does not exist"))
        problems += _type_checks(kb, rec, where)
    problems += _check_examples_unique(kb)
    problems += _check_parameters(kb)
    problems += _check_vocab(kb)
    problems += _check_relevance(kb)
    return problems


def _check_relevance(kb: KnowledgeBase) -> list[Problem]:
    """The new-registrant relevance data (data/relevance): ids exist, industries known, quotes verbatim."""
    from knowledge.relevance import check as check_relevance

    return check_relevance(kb)


def quote_problem(kb: KnowledgeBase, law: str, article: str, quote: str) -> str | None:
    statute = kb.statutes.get(law)
    if statute is None:
        return f"cites unknown law {law!r}"
    text = statute.article(article)
    if text is None:
        return f"{law} has no article {article!r}"
    if quote not in text:
        return f"quote not found verbatim in {law} {article}: {quote[:40]!r}"
    return None


def _cited_texts(kb: KnowledgeBase, rec, roles=None) -> list[str]:
    out = []
    for c in rec.citations:
        if roles and c.role not in roles:
            continue
        law = kb.statutes.get(c.law)
        text = law.article(c.article) if law else None
        if text:
            out.append(text)
    return out


def _type_checks(kb: KnowledgeBase, rec, where: str) -> list[Problem]:
    problems = []
    if isinstance(rec, ComplianceItem):
        for entry in rec.exemption.listed:
            if not isinstance(kb.records.get(entry.list), ExemptionList):
                problems.append(Problem(where, f"exemption.listed names {entry.list!r}, not an exemption_list"))
        for msg in penalty_problems(rec.penalty, _cited_texts(kb, rec, {"penalty"})):
            problems.append(Problem(where, msg))
        if len(set(rec.examples)) < 3:
            problems.append(Problem(where, "needs at least three distinct example questions"))
        known = kb.vocab.get("industry", {})
        for ind in rec.industries:
            if ind not in known:
                problems.append(Problem(where, f"industry {ind!r} is not a canonical name in vocab/industries.yml"))
    if isinstance(rec, CriminalRisk):
        if not any(rec.penalty_summary in t for t in _cited_texts(kb, rec)):
            problems.append(Problem(where, "penalty_summary is not verbatim from a cited article"))
        for ind in rec.industries:
            if ind not in kb.vocab.get("industry", {}):
                problems.append(Problem(where, f"industry {ind!r} is not a canonical name in vocab/industries.yml"))
    if isinstance(rec, FeeReliefRule) and not any(rec.ground in t for t in _cited_texts(kb, rec)):
        problems.append(Problem(where, "ground is not verbatim from a cited article"))
    if isinstance(rec, MediationChannel):
        for tag in rec.dispute_types:
            if tag not in kb.vocab.get("dispute_type", {}):
                problems.append(Problem(where, f"dispute type {tag!r} is not canonical in vocab/disputes.yml"))
        for region in rec.regions:
            if region not in kb.vocab.get("region", {}):
                problems.append(Problem(where, f"region {region!r} is not canonical in vocab/regions.yml"))
    if isinstance(rec, ExemptionRule):
        for target in rec.applies_to:
            if target not in kb.records and target not in kb.statutes:
                problems.append(Problem(where, f"applies_to {target!r} is neither a record id nor a law"))
    return problems


# What a penalty imposes: a penalty passage must not stop before (or start after) one of these in its paragraph.
SANCTION = re.compile(r"罚款|没收|吊销|停产停业|停业整顿|责令停业|拘留|暂扣|撤销|取消备案|禁止其从事|不予办理|刑事责任")
PASSAGE_SEP = "……"  # a penalty spanning paragraphs (第一款 amounts + 第二款 additions) joins its passages with this
REFERS_BACK = re.compile(r"依照前款规定(?:给予)?处罚")


def penalty_problems(penalty: str, article_texts: list[str]) -> list[str]:
    """The penalty states the range as the article does: verbatim, and not cut at a lower tier.

    Each passage (``……`` joins passages of different paragraphs) must be verbatim in a penalty-role article and
    must cover its paragraph's sanctions: nothing imposed after it (a 情节严重 tier, revocation, criminal
    liability) unless what follows is addressed to someone else (``；对直接负责的主管人员…``), and nothing imposed
    before it (a 没收 left out). A passage adding to 前款 (``除依照前款规定处罚外``) needs 前款's sanction too.
    """
    problems = []
    passages = penalty.split(PASSAGE_SEP)
    for passage in passages:
        text = next((t for t in article_texts if passage in t), None)
        if text is None:
            return [f"penalty passage is not verbatim from a penalty-role citation's article: {passage[:30]!r}"]
        paragraphs = text.split("\n")
        n = next(i for i, para in enumerate(paragraphs) if passage in para)
        para = paragraphs[n]
        before, after = para.split(passage, 1)
        if SANCTION.search(after) and not after.lstrip("；，。").startswith("对"):
            problems.append(f"penalty stops before the article's further sanctions: {after[:30]!r}")
        if SANCTION.search(before) and not passage.startswith("对"):
            problems.append(f"penalty starts after sanctions the article imposes first: {before[-30:]!r}")
        if REFERS_BACK.search(passage) and n > 0:
            previous = paragraphs[n - 1]
            if not any(p in previous and SANCTION.search(p) for p in passages):
                problems.append("penalty adds to 前款 but leaves out 前款's sanction (join it with ……)")
    return problems


def _check_examples_unique(kb: KnowledgeBase) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for rid, rec in kb.records.items():
        for ex in rec.examples:
            if ex in seen and seen[ex] != rid:
                problems.append(Problem(f"{kb.origins[rid]}#{rid}", f"example {ex!r} also belongs to {seen[ex]}"))
            seen.setdefault(ex, rid)
    return problems


def _check_statute_copies(kb: KnowledgeBase) -> list[Problem]:
    problems = []
    for law in kb.statutes.values():
        path = TEXTS_DIR / law.source
        if not path.exists():
            problems.append(Problem(f"statutes/{law.source}", "vendored official text is missing"))
        elif sha256(path) != law.sha256:
            problems.append(Problem(f"statutes/{law.source}", "vendored text differs from the official copy"))
    return problems


def _check_parameters(kb: KnowledgeBase) -> list[Problem]:
    problems = []
    for p in kb.parameters:
        for ref in p.all_references():
            msg = quote_problem(kb, ref.law, ref.article, ref.quote)
            if msg:
                problems.append(Problem(f"parameters/{p.name}", msg))
        if not p.references:
            problems.append(Problem(f"parameters/{p.name}", "metadata.reference is required"))
        if p.brackets is not None:
            try:
                scale = p.at("2100-01-01")
            except LookupError as e:
                problems.append(Problem(f"parameters/{p.name}", str(e)))
                continue
            thresholds = [b.threshold for b in scale.brackets]
            if thresholds != sorted(set(thresholds)):
                problems.append(Problem(f"parameters/{p.name}", "bracket thresholds must increase"))
    return problems


def _check_vocab(kb: KnowledgeBase) -> list[Problem]:
    problems = []
    owner: dict[tuple[str, str], str] = {}
    for entity, values in kb.vocab.items():
        for canonical, forms in values.items():
            if canonical.startswith("kb:") and canonical[3:] not in kb.records:
                problems.append(Problem(f"vocab/{entity}", f"value {canonical!r} names no record"))
            for form in forms:
                key = (entity, form)
                if key in owner and owner[key] != canonical:
                    problems.append(
                        Problem(f"vocab/{entity}", f"surface form {form!r} maps to {owner[key]!r} and {canonical!r}")
                    )
                owner[key] = canonical
    return problems
