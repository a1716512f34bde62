"""Fit the answer decision (knowledge/answering.py) on the tuning part of eval/realq and write its weights.

For every tuning question: the trained NLU's intent ranking (the model in models/, loaded in-process), the
assistant's retrieval hits, and the label "the best hit answers it" (the question is in scope and its best hit is
one of the labelled records). A logistic regression over ``answering.FEATURES`` gives the probability; the answer
threshold is the lowest that keeps wrongly answered questions at most ``--max-wrong`` of all tuning questions,
and the clarify threshold the lowest that keeps a "which of these two" question holding a right record at least
half the time. The team-written retrieval questions (bench/retrieval_set.yml, all answerable) are added as
examples of how business owners ask, with their own labels. The measuring part is never read here.

    python -m bench.calibrate_answering            # writes knowledge/data/routing/answering.yml
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import glob
import os
from pathlib import Path

import numpy as np
import yaml

from bench.real_questions import load
from knowledge.answering import FEATURES, ROUTING_DIR, features

ROOT = Path(__file__).resolve().parents[1]


def nlu_rankings(texts: list[str]) -> list[list[dict]]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from rasa.core.agent import Agent

    model = max(glob.glob(str(ROOT / "models" / "*.tar.gz")), key=os.path.getmtime)
    agent = Agent.load(model)

    async def parse_all():
        return [await agent.parse_message(t) for t in texts]

    return [p.get("intent_ranking") or [] for p in asyncio.run(parse_all())]


def rows(searcher, items: list[tuple[str, set[str]]], rankings: list[list[dict]]):
    X, y, pairs = [], [], []
    for (text, labels), ranking in zip(items, rankings, strict=True):
        hits = searcher.search(text, k=6)
        if not hits:
            continue
        f = features(text, hits, ranking)
        X.append([f[k] for k in FEATURES])
        y.append(1 if hits[0].record_id in labels else 0)
        pairs.append(bool(labels & {h.record_id for h in hits[:2]}))
    return np.array(X), np.array(y), np.array(pairs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-wrong", type=float, default=0.04)
    ap.add_argument("--out", default=str(ROUTING_DIR / "answering.yml"))
    args = ap.parse_args(argv)
    from sklearn.linear_model import LogisticRegression

    from knowledge.kb import KnowledgeBase
    from knowledge.search import Searcher

    tune = load("tune")
    real = [(q["text"], set(q.get("records") or []) if q.get("in_scope") else set()) for q in tune]
    team = [(q["q"], set(q["expect"])) for q in
            yaml.safe_load((ROOT / "bench" / "retrieval_set.yml").read_text(encoding="utf-8"))["questions"]]
    rankings = nlu_rankings([t for t, _ in real + team])
    searcher = Searcher(KnowledgeBase.from_files())
    Xr, yr, pr = rows(searcher, real, rankings[:len(real)])
    Xt, yt, _ = rows(searcher, team, rankings[len(real):])
    X = np.vstack([Xr, Xt])
    y = np.concatenate([yr, yt])
    # the real questions are what users bring; the team's questions only teach how business owners phrase things
    weight = np.concatenate([np.ones(len(yr)), np.full(len(yt), 0.5)])
    clf = LogisticRegression(C=1.0, max_iter=2000, fit_intercept=False)
    clf.fit(X, y, sample_weight=weight)
    w = dict(zip(FEATURES, (float(v) for v in clf.coef_[0]), strict=True))
    p_real = clf.predict_proba(Xr)[:, 1]

    n = len(real)
    best = (1.01, 0)
    for t in sorted(set(np.round(p_real, 4))) + [1.01]:
        answered = p_real >= t
        wrong = int((answered & (yr == 0)).sum())
        right = int((answered & (yr == 1)).sum())
        if wrong <= args.max_wrong * n and (right > best[1] or (right == best[1] and t < best[0])):
            best = (float(t), right)
    answer_t = best[0]
    clarify_t = answer_t
    for t in sorted(set(np.round(p_real, 4)), reverse=True):
        band = (p_real >= t) & (p_real < answer_t)
        if band.sum() and pr[band].mean() >= 0.5:
            clarify_t = float(t)
    answered = p_real >= answer_t
    summary = {"tuning_questions": n, "team_questions": len(yt), "answered": int(answered.sum()),
               "answered_right": int((answered & (yr == 1)).sum()), "answered_wrong": int((answered & (yr == 0)).sum()),
               "best_hit_right": int(yr.sum())}
    doc = {
        "calibrated": f"{dt.date.today().isoformat()} by bench/calibrate_answering.py on eval/realq/tune.yml "
                      f"({n} questions) + bench/retrieval_set.yml ({len(yt)}, weight 0.5)",
        "summary": summary,
        "answer_threshold": round(answer_t, 4),
        "clarify_threshold": round(min(clarify_t, answer_t), 4),
        "weights": {k: round(v, 4) for k, v in w.items()},
    }
    header = "# Weights of the answer decision (knowledge/answering.py), written by python -m bench.calibrate_answering.\n"
    Path(args.out).write_text(header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
