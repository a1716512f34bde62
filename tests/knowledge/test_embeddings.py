"""Record vectors: best-matching text per record, computed once per knowledge base and cached."""
from __future__ import annotations

import numpy as np

from knowledge.embeddings import RecordVectors, record_texts


class CountingEmbedder:
    """Deterministic stand-in: one axis per distinct text, so cosines are 1 for the same text and 0 otherwise."""

    def __init__(self):
        self.calls = 0
        self.axes: dict[str, int] = {}

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(64, np.float32)
        v[self.axes.setdefault(text, len(self.axes))] = 1.0
        return v

    def passages(self, texts):
        self.calls += 1
        return np.vstack([self._vec(t) for t in texts])

    def queries(self, texts):
        return np.vstack([self._vec(t) for t in texts])


def test_a_record_scores_by_its_best_matching_text_and_the_cache_is_reused(kb, tmp_path, monkeypatch):
    monkeypatch.setenv("HEGUI_CACHE_DIR", str(tmp_path))
    records = list(kb.records.values())[:5]
    emb = CountingEmbedder()
    vectors = RecordVectors.build(records, "test-fp", emb)
    target = records[3]
    probe = record_texts(target)[-1]
    scores = vectors.scores(emb.queries([probe])[0])
    assert int(np.argmax(scores)) == 3 and scores[3] == 1.0
    calls = emb.calls
    again = RecordVectors.build(records, "test-fp", emb)
    assert emb.calls == calls  # read from the cache file, nothing embedded again
    assert np.array_equal(again.matrix, vectors.matrix)


def test_a_broken_cache_file_is_rebuilt_not_trusted(kb, tmp_path, monkeypatch):
    monkeypatch.setenv("HEGUI_CACHE_DIR", str(tmp_path))
    records = list(kb.records.values())[:3]
    emb = CountingEmbedder()
    RecordVectors.build(records, "fp2", emb)
    for f in tmp_path.glob("*.npz"):
        f.write_bytes(b"not a numpy file")
    calls = emb.calls
    RecordVectors.build(records, "fp2", emb)
    assert emb.calls > calls


def test_the_bundled_model_ranks_by_meaning_not_by_shared_words(searcher):
    # "消除" is shared with the fire-hazard record, but the question is about a credit list
    top = searcher.search("工商黑名单怎么消除", k=3)[0]
    assert top.type == "credit_repair"
    assert searcher.search("卖过期食品会被罚多少钱", k=1)[0].record_id == "market.food.expired_food"
