"""Knowledge retrieval hit@1 / hit@3 on bench/retrieval_set.yml: the assistant's retrieval vs plain BM25.

The assistant = the entities the NLU extractor recognises (record names) + Searcher (jieba with the knowledge
base's terms, synonym expansion, BM25 fused with character n-grams, name boost). The baseline = BM25Okapi over
the same records' text, jieba tokens, nothing else. Both see the same questions and the same records.
"""
from __future__ import annotations

import time
from pathlib import Path

import yaml

SET = Path(__file__).with_name("retrieval_set.yml")


def evaluate(k: int = 3) -> dict:
    from bot.nlu.knowledge_entities import KnowledgeEntityExtractor, build_patterns
    from bot.nlu.normalizer import normalize_same_length
    from knowledge.kb import KnowledgeBase
    from knowledge.search import BM25Baseline, Searcher

    questions = yaml.safe_load(SET.read_text(encoding="utf-8"))["questions"]
    kb = KnowledgeBase.from_files()
    baseline = BM25Baseline(kb)  # built before the Searcher teaches jieba the knowledge-base terms
    base_hits = [[h.record_id for h in baseline.search(q["q"], k=k)] for q in questions]
    extractor = KnowledgeEntityExtractor({}, None, None, build_patterns(kb))
    searcher = Searcher(kb)
    started = time.perf_counter()
    ours = []
    for q in questions:
        ents = extractor.extract(normalize_same_length(q["q"]))
        hints = [e["value"] for e in ents if e["entity"] in ("violation", "criminal_risk")]
        ours.append([h.record_id for h in searcher.search(q["q"], k=k, boost_ids=hints)])
    per_query_ms = (time.perf_counter() - started) / len(questions) * 1000

    def score(results):
        h1 = sum(bool(set(r[:1]) & set(q["expect"])) for r, q in zip(results, questions, strict=True)) / len(questions)
        h3 = sum(bool(set(r[:3]) & set(q["expect"])) for r, q in zip(results, questions, strict=True)) / len(questions)
        return h1, h3

    a1, a3 = score(ours)
    b1, b3 = score(base_hits)
    return {"questions": len(questions), "records": len(kb.records), "assistant_hit1": a1, "assistant_hit3": a3,
            "baseline_hit1": b1, "baseline_hit3": b3, "lookup_ms": per_query_ms,
            "misses": [q["q"] for r, q in zip(ours, questions, strict=True) if not set(r[:3]) & set(q["expect"])]}


if __name__ == "__main__":
    r = evaluate()
    print(f"{r['questions']} questions over {r['records']} records")
    print(f"assistant: hit@1 {r['assistant_hit1']:.3f}  hit@3 {r['assistant_hit3']:.3f}  ({r['lookup_ms']:.1f} ms/query)")
    print(f"BM25 only: hit@1 {r['baseline_hit1']:.3f}  hit@3 {r['baseline_hit3']:.3f}")
    for m in r["misses"][:15]:
        print("  miss:", m)
