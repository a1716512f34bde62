"""Generate the NLU data that comes from the knowledge base: ``python -m bot.nlu.generate``.

A maintainer adds an item by editing one YAML file; this turns the item's example questions into training
examples of the right intent, its names into lookup tables and jieba dictionary words.  Generated files are
committed so that training is reproducible and reviewable, and `make` regenerates them when the data changes.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from knowledge.kb import KnowledgeBase
from knowledge.schema import (
    ComplianceItem,
    CreditRepairProcedure,
    CriminalRisk,
    ExemptionList,
    ExemptionRule,
    FeeReliefGuide,
    FeeReliefRule,
    Guide,
    MediationChannel,
)
from knowledge.text import PUNCT_RE, normalize

ROOT = Path(__file__).resolve().parents[2]
NLU_OUT = ROOT / "data" / "nlu" / "generated"
JIEBA_OUT = ROOT / "bot" / "nlu" / "generated" / "jieba"
HANDWRITTEN = [p for p in (ROOT / "data" / "nlu").glob("*.yml")]

INTENT_OF_TYPE = {
    ComplianceItem: "ask_compliance",
    CriminalRisk: "ask_criminal_risk",
    ExemptionRule: "ask_exemption",
    ExemptionList: "ask_exemption",
    FeeReliefRule: "ask_fee_relief",
    FeeReliefGuide: "ask_fee_relief",
    MediationChannel: "ask_mediation",
    CreditRepairProcedure: "ask_credit_repair",
}
# procedure / business_status guides are answered directly by retrieval over guides (action_answer_compliance), not
# through the mediation form: how to enforce an award or how long a limitation period runs needs no dispute type.
INTENT_OF_GUIDE = {"litigation_info": "ask_litigation_info", "annual_report": "ask_compliance",
                   "litigation_fee": "ask_litigation_fee", "procedure": "ask_compliance",
                   "business_status": "ask_compliance"}
LOOKUP_ENTITIES = ("industry", "region", "dispute_type", "credit_issue", "risk_area", "circumstance")
# Entities whose canonical values are words: their surface forms become Rasa synonyms, so a value that reaches the
# pipeline by another way (a button payload, an integration) is mapped like the extractor maps it. Rasa's synonyms
# are global, so a form claimed by two entities (or equal to a canonical value) is left out.
SYNONYM_ENTITIES = ("industry", "region", "dispute_type", "credit_issue", "risk_area", "domain")


class _Literal(str):
    pass


def _literal(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")


yaml.add_representer(_Literal, _literal)


def _handwritten_examples() -> dict[str, str]:
    seen = {}
    for path in HANDWRITTEN:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in block:
                for line in block["examples"].splitlines():
                    text = line.strip().lstrip("-").strip()
                    if text:
                        seen[normalize(text)] = block["intent"]
    return seen


def intent_examples(kb: KnowledgeBase) -> dict[str, list[str]]:
    taken = _handwritten_examples()
    out: dict[str, list[str]] = {}
    for rec in kb.records.values():
        intent = INTENT_OF_TYPE.get(type(rec))
        if isinstance(rec, Guide):
            intent = INTENT_OF_GUIDE.get(rec.guide_topic)
        if not intent:
            continue
        for ex in rec.examples:
            key = normalize(ex)
            if key in taken:
                continue
            taken[key] = intent
            out.setdefault(intent, []).append(ex.replace("\n", " "))
    out.setdefault("browse_compliance", []).extend(browse_examples(kb, taken))
    return out


# "What should a <industry> watch out for" is a request to browse the list, not a question about one practice.
BROWSE_TEMPLATES = ["开{}要注意哪些规定", "{}容易被罚的地方有哪些", "{}行业常见违法行为", "做{}的要注意什么合规问题",
                    "{}检查一般查哪些项目", "{}有哪些高频违规", "我是开{}的有啥要注意", "{}的合规清单给我看看"]
DOMAIN_TEMPLATES = ["{}方面常见的违法有哪些", "{}领域的合规清单", "{}检查容易踩哪些坑", "列一下{}的高频违法行为"]


def browse_examples(kb: KnowledgeBase, taken: dict[str, str]) -> list[str]:
    out = []
    industries = [forms[0] for canonical, forms in sorted(kb.vocab.get("industry", {}).items())
                  if forms and canonical != "全部行业"]
    for i, ind in enumerate(industries):
        for t in (BROWSE_TEMPLATES[i % len(BROWSE_TEMPLATES)], BROWSE_TEMPLATES[(i + 3) % len(BROWSE_TEMPLATES)]):
            ex = t.format(ind)
            if normalize(ex) not in taken:
                taken[normalize(ex)] = "browse_compliance"
                out.append(ex)
    for domain, forms in sorted(kb.vocab.get("domain", {}).items()):
        for k, t in enumerate(DOMAIN_TEMPLATES):
            ex = t.format(forms[k % len(forms)] if forms else domain)
            if normalize(ex) not in taken:
                taken[normalize(ex)] = "browse_compliance"
                out.append(ex)
    return out


def lookups(kb: KnowledgeBase) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for entity in LOOKUP_ENTITIES:
        words = {f for canonical, forms in kb.vocab.get(entity, {}).items() for f in [canonical, *forms]}
        tables[entity] = sorted(w for w in words if len(w) >= 2)
    names = {n for r in kb.of_type(ComplianceItem) for n in [r.title, *r.synonyms]}
    tables["violation"] = sorted(n for n in names if 2 <= len(n) <= 16)
    return tables


def synonyms(kb: KnowledgeBase) -> dict[str, list[str]]:
    canonicals = {c for e in SYNONYM_ENTITIES for c in kb.vocab.get(e, {})}
    owners: dict[str, set[str]] = {}
    for e in SYNONYM_ENTITIES:
        for canonical, forms in kb.vocab.get(e, {}).items():
            for f in forms:
                owners.setdefault(f, set()).add(canonical)
    out: dict[str, list[str]] = {}
    for form, owner in sorted(owners.items()):
        if len(owner) == 1 and form not in canonicals:
            out.setdefault(next(iter(owner)), []).append(form)
    return out


def dictionary_words(kb: KnowledgeBase) -> list[str]:
    words = set()
    for rec in kb.records.values():
        words.update([rec.title, *rec.synonyms])
    for values in kb.vocab.values():
        for canonical, forms in values.items():
            words.update([canonical, *forms])
    for group in kb.synonym_groups:
        words.update(group)
    # jieba keeps a user word whole only if it has no spaces or punctuation; very long titles add nothing
    return sorted(w for w in (normalize(w) for w in words) if 2 <= len(w) <= 12 and not PUNCT_RE.search(w))


def generate(kb: KnowledgeBase | None = None) -> dict[str, int]:
    kb = kb or KnowledgeBase.from_files()
    NLU_OUT.mkdir(parents=True, exist_ok=True)
    JIEBA_OUT.mkdir(parents=True, exist_ok=True)
    examples = intent_examples(kb)
    header = "# GENERATED by `python -m bot.nlu.generate` from knowledge/data — edit the data files, not this.\n"
    nlu = {
        "version": "3.1",
        "nlu": [
            {"intent": intent, "examples": _Literal("".join(f"- {e}\n" for e in sorted(set(exs))))}
            for intent, exs in sorted(examples.items())
        ],
    }
    (NLU_OUT / "knowledge_examples.yml").write_text(
        header + yaml.dump(nlu, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
    )
    tables = lookups(kb)
    lk = {
        "version": "3.1",
        "nlu": [
            {"lookup": name, "examples": _Literal("".join(f"- {w}\n" for w in words))}
            for name, words in tables.items()
            if words
        ]
        + [
            {"synonym": canonical, "examples": _Literal("".join(f"- {f}\n" for f in forms))}
            for canonical, forms in synonyms(kb).items()
        ],
    }
    (NLU_OUT / "lookups.yml").write_text(
        header + yaml.dump(lk, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
    )
    words = dictionary_words(kb)
    (JIEBA_OUT / "knowledge_terms.txt").write_text("".join(f"{w} 2000\n" for w in words), encoding="utf-8")
    return {"examples": sum(len(v) for v in examples.values()), "lookup_words": sum(map(len, tables.values())),
            "dictionary_words": len(words)}


if __name__ == "__main__":
    counts = generate()
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    sys.exit(0)
