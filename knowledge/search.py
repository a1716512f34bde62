"""Retrieval over the knowledge base.

``Searcher`` is what the assistant uses: jieba words with the knowledge base's own terms in the dictionary,
query expansion by synonym groups, BM25 over weighted fields, fused with a character n-gram TF-IDF cosine
(robust to typos and to segmentation the dictionary does not know), a sentence-embedding similarity (what the
question means, not which words it shares: knowledge/embeddings.py), plus a boost when the question contains one
of a record's own names.  Variants, for measuring each signal on the same questions: ``hybrid`` (all of the
above, the assistant), ``lexical`` (without the embeddings: the ranking before them), and ``BM25Baseline``
(plain BM25 over the same documents).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rank_bm25 import BM25Okapi
from sklearn.feature_extraction.text import TfidfVectorizer

from knowledge.kb import KnowledgeBase
from knowledge.schema import Record
from knowledge.text import add_words, char_ngrams, normalize, tokens

# How much each field counts: the title and the record's own names say most about it.
FIELD_WEIGHTS = {"title": 3, "names": 2, "body": 1}
# Lexical weights chosen on the even-numbered half of bench/retrieval_set.yml and checked on the odd half; the
# dense weight on the tuning part of eval/realq (bench/real_questions.py) and retrieval_set.yml together.
FUSION = {"bm25": 0.45, "chars": 0.55, "phrase": 0.15, "entity": 0.2}
DENSE_WEIGHT = 1.0
VARIANTS = ("hybrid", "lexical", "bm25")


@dataclass(frozen=True)
class Hit:
    record_id: str
    type: str
    title: str
    score: float
    matched: tuple[str, ...] = ()
    dense: float = 0.0  # cosine of the question with the record's best-matching text (0 without embeddings)
    lexical: float = 0.0  # the fused lexical score alone
    classic: float = 0.0  # the ranking before embeddings (lexical + name boosts): what the old thresholds were set on


def _weighted_fields(rec: Record) -> list[tuple[str, int]]:
    names = list(rec.synonyms)
    for attr in ("violation", "crime", "name", "subject", "ground", "situation", "issue"):
        v = getattr(rec, attr, None)
        if isinstance(v, str):
            names.append(v)
    out = [(rec.title, FIELD_WEIGHTS["title"])]
    out += [(n, FIELD_WEIGHTS["names"]) for n in names]
    out += [(t, FIELD_WEIGHTS["body"]) for t in rec.search_fields()[1:] if t not in names]
    return out


def _doc_tokens(rec: Record) -> list[str]:
    toks: list[str] = []
    for text, weight in _weighted_fields(rec):
        toks += tokens(text) * weight
    return toks


class _Index:
    def __init__(self, kb: KnowledgeBase, types: Iterable[str] | None):
        wanted = set(types) if types else None
        self.records = [r for r in kb.records.values() if wanted is None or r.type in wanted]
        self.ids = [r.id for r in self.records]


class Searcher:
    def __init__(self, kb: KnowledgeBase, types: Iterable[str] | None = None, variant: str = "hybrid"):
        if variant not in VARIANTS:
            raise ValueError(f"unknown ranking variant {variant!r}; known: {VARIANTS}")
        self.kb = kb
        self.variant = variant
        terms = {t for r in kb.records.values() for t in [r.title, *r.synonyms]}
        terms |= {f for values in kb.vocab.values() for forms in values.values() for f in forms}
        terms |= {w for g in kb.synonym_groups for w in g}
        add_words(t for t in terms if len(t) <= 8)
        self.index = _Index(kb, types)
        docs = [_doc_tokens(r) for r in self.index.records]
        self.bm25 = BM25Okapi(docs)
        texts = [" ".join(t for t, _ in _weighted_fields(r)) for r in self.index.records]
        self.tfidf = TfidfVectorizer(analyzer=lambda s: char_ngrams(s, 1, 3), sublinear_tf=True)
        self.matrix = self.tfidf.fit_transform(texts)
        self.names = [
            [normalize(n) for n in {r.title, *r.synonyms} if len(normalize(n)) >= 2] for r in self.index.records
        ]
        self.groups = [[normalize(w) for w in g] for g in kb.synonym_groups]
        self.vectors = None
        if variant == "hybrid":
            from knowledge.embeddings import RecordVectors

            self.vectors = RecordVectors.build(self.index.records, kb.fingerprint)
        self.baseline = BM25Baseline(kb, types) if variant == "bm25" else None

    def embed(self, query: str):
        """The question's vector (None when this variant ranks without embeddings)."""
        if self.vectors is None:
            return None
        from knowledge.embeddings import embedder

        return embedder().queries([normalize(query)])[0]

    def expand(self, query: str) -> list[str]:
        """The query and the synonym-group variants it contains."""
        q = normalize(query)
        variants = [q]
        for group in self.groups:
            present = [w for w in group if w in q]
            if present:
                for w in group:
                    if w not in present:
                        variants.append(q.replace(present[0], w))
        return variants

    def search(
        self,
        query: str,
        k: int = 5,
        types: Sequence[str] | None = None,
        domain: str | None = None,
        industry: str | None = None,
        boost_ids: Sequence[str] = (),
        query_vector=None,
    ) -> list[Hit]:
        """Ranked records; ``boost_ids`` are records the NLU recognised by name in the question."""
        if self.baseline is not None:
            return [h for h in self.baseline.search(query, k=len(self.index.ids))
                    if (not types or h.type in types)][:k]
        variants = self.expand(query)
        q_tokens: list[str] = []
        for v in variants:
            q_tokens += [t for t in tokens(v) if t not in q_tokens]
        if not q_tokens and not normalize(query):
            return []
        bm = self.bm25.get_scores(q_tokens) if q_tokens else np.zeros(len(self.index.ids))
        bm = bm / bm.max() if bm.max() > 0 else bm
        qv = self.tfidf.transform([" ".join(variants)])
        ch = (self.matrix @ qv.T).toarray().ravel()
        ch = ch / ch.max() if ch.max() > 0 else ch
        scores = FUSION["bm25"] * bm + FUSION["chars"] * ch
        lexical = scores.copy()
        dense = np.zeros(len(self.index.ids), dtype=np.float32)
        if self.vectors is not None:
            qvec = query_vector if query_vector is not None else self.embed(query)
            dense = self.vectors.scores(qvec)
            # e5 cosines bunch between 0.8 and 0.92: what separates records is the distance from the typical one
            floor, top = float(np.median(dense)), float(dense.max())
            scores = scores + DENSE_WEIGHT * np.clip((dense - floor) / max(top - floor, 1e-6), 0, 1)
        matched: dict[int, list[str]] = {}
        boosts = np.zeros(len(self.index.ids))
        for i, names in enumerate(self.names):
            hits = [n for n in names if any(n in v for v in variants)]
            if hits:
                matched[i] = hits
                boosts[i] += FUSION["phrase"] * min(1.0, max(len(h) for h in hits) / 4)
        if boost_ids:
            position = {rid: i for i, rid in enumerate(self.index.ids)}
            for rid in boost_ids:
                if rid in position:
                    boosts[position[rid]] += FUSION["entity"]
                    matched.setdefault(position[rid], []).append("entity")
        scores = scores + boosts
        classic = lexical + boosts
        order = np.argsort(-scores)
        out: list[Hit] = []
        for i in order:
            rec = self.index.records[i]
            if types and rec.type not in types:
                continue
            if domain and getattr(rec, "domain", None) != domain:
                continue
            if industry and industry not in getattr(rec, "industries", [industry]):
                continue
            if scores[i] <= 0:
                break
            out.append(Hit(rec.id, rec.type, rec.title, round(float(scores[i]), 4), tuple(matched.get(i, ())),
                           round(float(dense[i]), 4), round(float(lexical[i]), 4), round(float(classic[i]), 4)))
            if len(out) >= k:
                break
        return out


class BM25Baseline:
    """Plain BM25 over the same record text: no synonyms, no character features, no name boost."""

    def __init__(self, kb: KnowledgeBase, types: Iterable[str] | None = None):
        self.index = _Index(kb, types)
        docs = [tokens(" ".join(t for t, _ in _weighted_fields(r))) for r in self.index.records]
        self.bm25 = BM25Okapi(docs)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        q = tokens(query)
        if not q:
            return []
        scores = self.bm25.get_scores(q)
        order = np.argsort(-scores)[:k]
        return [
            Hit(self.index.ids[i], self.index.records[i].type, self.index.records[i].title, round(float(scores[i]), 4))
            for i in order
            if scores[i] > 0
        ]


# Confidence of a retrieval answer: below MIN_SCORE nothing fits well enough to answer; when the runner-up is
# within MARGIN of the best, the user is shown both ("did you mean") instead of a guess.
MIN_SCORE = 0.45
MARGIN = 0.08


@dataclass(frozen=True)
class Resolution:
    best: Hit | None
    candidates: tuple[Hit, ...]
    confident: bool


def resolve(
    searcher: Searcher,
    query: str,
    types: Sequence[str] | None = None,
    hint_ids: Sequence[str] = (),
    domain: str | None = None,
    industry: str | None = None,
) -> Resolution:
    """The record a question is about, or the close candidates when it is ambiguous."""
    hits = searcher.search(query, k=6, types=types, domain=domain, industry=industry, boost_ids=hint_ids)
    if not normalize(query).strip() and hint_ids:
        # nothing to rank by but the recognised names (e.g. a tapped button): take them as they are
        known = [i for i in hint_ids if i in searcher.kb.records and (not types or searcher.kb.records[i].type in types)]
        hits = [Hit(i, searcher.kb.records[i].type, searcher.kb.records[i].title, 1.0, ("entity",)) for i in known]
        return Resolution(hits[0] if hits else None, tuple(hits[:3]), len(known) == 1)
    # the thresholds were set on the scores before embeddings; the embeddings reorder, they do not make a record surer
    if not hits or hits[0].classic < MIN_SCORE:
        return Resolution(None, tuple(hits[:3]), False)
    best = hits[0]
    runner_up = hits[1].classic if len(hits) > 1 else 0.0
    confident = best.classic - runner_up >= MARGIN or (bool(best.matched) and not (len(hits) > 1 and hits[1].matched))
    return Resolution(best, tuple(hits[:3]), confident)
