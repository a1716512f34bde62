"""Does the knowledge base answer this question? Answer with the record, ask between two, or decline.

Retrieval always returns *something*; a legal-guidance service that presents the nearest record as the answer
is confidently wrong whenever the question is about something the knowledge base does not hold (tax, company
law, a lease, a citizen's complaint about a housing estate). So every knowledge answer goes through ``decide``:

- ``answer``  the best record, when the calibrated probability that it answers the question is high enough;
- ``clarify`` one question between the two best records, only when they really compete (same kind of record,
  same area, both plausible);
- ``decline`` otherwise: say plainly that this is outside what the assistant covers and name where to go
  (``Referral``, from knowledge/data/routing/referrals.yml), with 转人工 offered by the card.

The probability is a logistic model over a few signals: the fused retrieval score and its margin, the sentence-
embedding similarity (knowledge/embeddings.py) and whether it agrees with the lexical ranking, whether the
question names the record, and what the NLU made of the question (how likely out of scope, whether its intent
fits the record's kind). Its weights and thresholds are data (knowledge/data/routing/answering.yml), fitted on
the tuning part of the real-question development set by ``python -m bench.calibrate_answering``; the measuring
part is never used.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

from knowledge.search import Hit
from knowledge.text import normalize

ROUTING_DIR = Path(__file__).parent / "data" / "routing"

# the record types each NLU intent asks about (a compliance question answered by a crime record is suspect)
INTENT_TYPES = {
    "ask_compliance": {"compliance_item", "guide"},
    "browse_compliance": {"compliance_item"},
    "ask_exemption": {"compliance_item", "exemption_rule", "exemption_list"},
    "ask_credit_repair": {"credit_repair", "guide"},
    "ask_criminal_risk": {"criminal_risk"},
    "ask_litigation_info": {"guide"},
    "ask_mediation": {"mediation_channel", "guide"},
    "ask_litigation_fee": {"guide"},
    "ask_fee_relief": {"fee_relief_rule", "fee_relief_guide", "guide"},
}
FEATURES = ("bias", "score", "margin", "dense", "dense_gap", "lexical", "named", "agree", "p_out_of_scope",
            "intent_confidence", "type_fits_intent", "length")


@dataclass(frozen=True)
class Referral:
    id: str
    label: str
    channel: str


@dataclass(frozen=True)
class Decision:
    kind: Literal["answer", "clarify", "decline"]
    hits: tuple[Hit, ...] = ()
    confidence: float = 0.0
    referral: Referral | None = None
    reason: str = ""
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerModel:
    weights: dict[str, float]
    answer_threshold: float
    clarify_threshold: float
    calibrated: str = ""  # what it was fitted on, when

    def probability(self, features: dict[str, float]) -> float:
        z = sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=1)
def load_model(path: Path = ROUTING_DIR / "answering.yml") -> AnswerModel:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return AnswerModel(weights={str(k): float(v) for k, v in raw["weights"].items()},
                       answer_threshold=float(raw["answer_threshold"]),
                       clarify_threshold=float(raw["clarify_threshold"]), calibrated=str(raw.get("calibrated", "")))


@lru_cache(maxsize=1)
def load_referrals(path: Path = ROUTING_DIR / "referrals.yml") -> tuple[tuple[Referral, tuple[str, ...]], ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple((Referral(r["id"], r["label"], r["channel"]), tuple(r.get("keywords") or ()))
                 for r in raw["referrals"])


def referral_for(question: str) -> Referral:
    """The official channel for this kind of question (12348 legal services when nothing more specific fits)."""
    q = normalize(question)
    entries = load_referrals()
    for referral, keywords in entries:
        if any(k in q for k in keywords):
            return referral
    return next(r for r, keywords in entries if not keywords)


@lru_cache(maxsize=1)
def _asker_cues(path: Path = ROUTING_DIR / "askers.yml") -> tuple[tuple[str, tuple[str, ...]], ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple((k, tuple(v)) for k, v in raw["askers"].items())


def asker_of(question: str) -> str:
    """business | employee | consumer | unknown, from how the question is put."""
    q = normalize(question)
    for asker, cues in _asker_cues():
        if any(c in q for c in cues):
            return asker
    return "unknown"


def features(question: str, hits: Sequence[Hit], intent_ranking: Sequence[dict] = ()) -> dict[str, float]:
    """The signals the decision weighs, for the best hit."""
    top = hits[0]
    second = hits[1] if len(hits) > 1 else None
    dense_others = [h.dense for h in hits[1:]] or [0.0]
    lexical_best = max(hits, key=lambda h: h.lexical)
    ranking = {r.get("name"): float(r.get("confidence") or 0.0) for r in intent_ranking if r.get("name")}
    top_intent = max(ranking, key=ranking.get) if ranking else ""
    fits = INTENT_TYPES.get(top_intent)
    return {
        "bias": 1.0,
        "score": top.score,
        "margin": top.score - (second.score if second else 0.0),
        "dense": top.dense,
        "dense_gap": top.dense - max(dense_others),
        "lexical": top.lexical,
        "named": 1.0 if any(m != "entity" for m in top.matched) else 0.0,
        "agree": 1.0 if lexical_best.record_id == top.record_id else 0.0,
        "p_out_of_scope": ranking.get("out_of_scope", 0.0) + ranking.get("nonsense", 0.0),
        "intent_confidence": ranking.get(top_intent, 0.0),
        "type_fits_intent": 1.0 if fits is None or top.type in fits else 0.0,
        "length": min(len(question), 200) / 100.0,
    }


# A second way to answer: every independent signal points at the same record. The NLU is sure it is a knowledge
# question of the record's kind, the lexical and the embedding rankings put the same record first, it leads the
# next by a clear margin, and the question means nearly what one of the record's texts says (real questions
# outside the knowledge base rarely come that close: their best cosine is ≈0.89, see eval/realq). The calibrated
# model alone is tuned on citizens' complaints, which makes it decline clear business questions too.
# Or the question names the record itself (its title or one of its names, "没有明码标价会被罚吗") and it leads.
CORROBORATION = {"intent_confidence": 0.9, "margin": 0.5, "dense": 0.92}
NAMED = {"intent_confidence": 0.75, "margin": 0.3}


def corroborated(f: dict[str, float]) -> bool:
    if not (f["type_fits_intent"] == 1.0 and f["agree"] == 1.0 and f["p_out_of_scope"] < 0.1):
        return False
    by_meaning = all(f[k] >= v for k, v in CORROBORATION.items())
    by_name = f["named"] == 1.0 and all(f[k] >= v for k, v in NAMED.items())
    return by_meaning or by_name


def _compete(a: Hit, b: Hit, area_of) -> bool:
    """Two records really compete when they are of the same kind and area."""
    return a.type == b.type and area_of(a.record_id) == area_of(b.record_id)


def decide(question: str, hits: Sequence[Hit], intent_ranking: Sequence[dict] = (),
           model: AnswerModel | None = None, area_of=lambda record_id: record_id.split(".")[0]) -> Decision:
    referral = referral_for(question)
    if not hits:
        return Decision("decline", referral=referral, reason="no record shares anything with the question")
    model = model or load_model()
    f = features(question, hits, intent_ranking)
    p = model.probability(f)
    if p >= model.answer_threshold:
        return Decision("answer", (hits[0],), p, referral, "the best record answers it", f)
    if corroborated(f):
        return Decision("answer", (hits[0],), p, referral, "independent signals agree on the best record", f)
    if p >= model.clarify_threshold and len(hits) > 1 and _compete(hits[0], hits[1], area_of) \
            and hits[1].score >= hits[0].score * 0.85:
        return Decision("clarify", (hits[0], hits[1]), p, referral, "two records of the same area compete", f)
    return Decision("decline", tuple(hits[:1]), p, referral, "no record answers it with enough confidence", f)
