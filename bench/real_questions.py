"""`make eval`: how the running assistant answers questions real people wrote (eval/realq/).

Every question is typed into a fresh conversation of the real assistant (trained model, Rasa, action server; no
web front: nothing there changes the answer) and its first reply is read back together with the tracker. A reply
is classed as one of

- ``answer``   a card that presents something as the answer (a record, a fee figure, a channel list);
- ``clarify``  a "which of these two" question between records;
- ``asking``   a form asks for a fact before it can answer;
- ``decline``  says plainly that this is outside what the assistant covers and where to go;
- ``other``    greetings, the help menu, "please rephrase".

and judged against the labels of eval/realq (capability, record ids, in or out of scope):

- right first reply (in-scope questions): an answer carrying one of the labelled records (or, for a calculator
  or routing question, an answer of the labelled capability); a "which of these" whose options hold a labelled
  record; a form question of the labelled capability; for a question the knowledge base cannot answer yet
  (no labelled record), an honest decline;
- confidently wrong (all questions): an answer that serves a record or capability the labels do not name, or any
  answer to an out-of-scope question;
- declined (out-of-scope questions): the first reply is a decline.

Issue #11's figures come from the same run: for in-scope calculator and routing questions, the share answered
with a card on the first reply, and the mean number of questions asked before an answer (the simulated user
answers every question with "不知道", at most four times).

The ranking variant is a setting of the action server (``HEGUI_RANKING``), so variants are measured on the same
model in one run: ``hybrid`` (the assistant), ``lexical`` (the ranking before sentence embeddings), ``bm25``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REALQ = ROOT / "eval" / "realq"
RESULTS = ROOT / "bench" / "results"
FORM_CAPABILITY = {"fee_form": "litigation_fee", "relief_form": "fee_relief", "mediation_form": "mediation",
                   "exemption_form": "first_violation"}
ANSWER_TOPICS = {"compliance", "first_violation", "litigation_fee", "fee_relief", "mediation", "credit_repair",
                 "criminal_risk", "litigation_info"}
VARIANTS = ("hybrid", "lexical", "bm25")
TARGETS = {"right_first": 0.80, "confidently_wrong": 0.05, "declined": 0.85,
           "first_reply_card": 0.80, "mean_questions": 0.3}


def load(part: str) -> list[dict]:
    parts = ("tune", "measure") if part == "all" else (part,)
    out = []
    for p in parts:
        data = yaml.safe_load((REALQ / f"{p}.yml").read_text(encoding="utf-8")) or {}
        for q in data.get("questions") or []:
            out.append({**q, "part": p})
    return out


# ---------------------------------------------------------------- talking to the assistant
class Assistant:
    def __init__(self, rasa_url: str, token: str):
        self.rasa_url, self.token = rasa_url, token

    def _call(self, method: str, path: str, body: dict | None = None) -> object:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        sep = "&" if "?" in path else "?"
        req = urllib.request.Request(f"{self.rasa_url}{path}{sep}token={self.token}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read().decode() or "null")

    def say(self, sender: str, text: str) -> list[dict]:
        return self._call("POST", "/webhooks/card/webhook", {"sender": sender, "message": text}) or []

    def tracker(self, sender: str) -> dict:
        return self._call("GET", f"/conversations/{sender}/tracker") or {}


def classify(messages: list[dict], tracker: dict) -> dict:
    """What kind of reply this is, its topic and the records it serves."""
    cards = [m.get("custom") for m in messages if isinstance(m.get("custom"), dict)]
    loop = (tracker.get("active_loop") or {}).get("name")
    intent = ((tracker.get("latest_message") or {}).get("intent") or {}).get("name")
    base = {"intent": intent, "text": "\n".join(m.get("text") or "" for m in messages)[:400]}
    for card in cards:
        data = card.get("data") or {}
        topic = card.get("topic")
        ids = [i for i in card.get("kb_ids") or []]
        if topic == "out_of_scope" or data.get("declined") or data.get("unanswered"):
            return {**base, "kind": "decline", "topic": topic, "kb_ids": ids}
        if data.get("candidates") or data.get("fallback"):
            return {**base, "kind": "clarify", "topic": topic, "kb_ids": ids}
        if topic in ANSWER_TOPICS:
            return {**base, "kind": "answer", "topic": topic, "kb_ids": ids}
    if loop in FORM_CAPABILITY:
        return {**base, "kind": "asking", "topic": FORM_CAPABILITY[loop], "kb_ids": []}
    topic = cards[0].get("topic") if cards else None
    return {**base, "kind": "other", "topic": topic, "kb_ids": []}


def judge(q: dict, reply: dict) -> dict:
    """right / confidently wrong / declined for one question's first reply."""
    labelled = set(q.get("records") or [])
    ids = set(reply["kb_ids"])
    capability = q.get("capability")
    kind = reply["kind"]
    figure_kind = q.get("kind") in ("calculator", "routing")
    if not q.get("in_scope"):
        return {"right": False, "wrong": kind == "answer", "declined": kind == "decline"}
    if kind == "answer":
        if labelled:
            right = bool(ids & labelled) or (figure_kind and reply["topic"] == capability)
        else:
            right = figure_kind and reply["topic"] == capability
        return {"right": right, "wrong": not right, "declined": False}
    if kind == "clarify":
        return {"right": bool(ids & labelled), "wrong": False, "declined": False}
    if kind == "asking":
        return {"right": reply["topic"] == capability, "wrong": False, "declined": False}
    if kind == "decline":
        return {"right": not labelled and not figure_kind, "wrong": False, "declined": True}
    return {"right": False, "wrong": False, "declined": False}


def questions_until_answer(assistant: Assistant, sender: str, first: dict) -> tuple[int, bool]:
    """How many questions the assistant asks before it answers, the user answering "不知道" to each."""
    asked, reply = 0, first
    while reply["kind"] in ("asking", "clarify") and asked < 4:
        asked += 1
        messages = assistant.say(sender, "不知道")
        reply = classify(messages, assistant.tracker(sender))
    return asked, reply["kind"] == "answer"


def run_variant(variant: str, questions: list[dict], workers: int = 4) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from tests.stack import Stack

    stack = Stack(env={"HEGUI_RANKING": variant})
    for i in range(stack.action_servers):
        stack.start_actions(i)
    stack.start_rasa(0)
    from tests.stack import wait_http

    wait_http(f"{stack.rasa_url(0)}/", proc=stack.procs["rasa0"], log=stack.logs["rasa0"])
    wait_http(f"http://127.0.0.1:{stack.ports['actions']}/health", proc=stack.procs["actions"],
              log=stack.logs["actions"])
    assistant = Assistant(stack.rasa_url(0), stack.token)
    stamp = int(time.time())

    def one(q: dict) -> dict:
        sender = f"eval-{variant}-{stamp}-{q['id']}"
        started = time.perf_counter()
        messages = assistant.say(sender, q["text"])
        reply = classify(messages, assistant.tracker(sender))
        ms = (time.perf_counter() - started) * 1000
        out = {"id": q["id"], "part": q["part"], "ms": round(ms, 1), **reply, **judge(q, reply)}
        if q.get("in_scope") and q.get("kind") in ("calculator", "routing"):
            out["questions_asked"], out["answered"] = questions_until_answer(assistant, sender, reply)
        return out

    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, questions))
    finally:
        stack.stop()


def summarise(questions: list[dict], results: list[dict]) -> dict:
    by_id = {q["id"]: q for q in questions}
    ins = [r for r in results if by_id[r["id"]].get("in_scope")]
    outs = [r for r in results if not by_id[r["id"]].get("in_scope")]
    covered = [r for r in ins if by_id[r["id"]].get("records") or by_id[r["id"]].get("kind") in ("calculator",
                                                                                                  "routing")]
    figure = [r for r in ins if by_id[r["id"]].get("kind") in ("calculator", "routing")]

    def share(rows, key):
        return sum(bool(r[key]) for r in rows) / len(rows) if rows else float("nan")

    ms = sorted(r["ms"] for r in results)
    return {
        "questions": len(results), "in_scope": len(ins), "out_of_scope": len(outs),
        "right_first": share(ins, "right"),
        "right_first_covered": share(covered, "right"),
        "confidently_wrong": share(results, "wrong"),
        "declined": share(outs, "declined"),
        "in_scope_declined": share(ins, "declined"),
        "first_reply_card": (sum(r["kind"] == "answer" and r["right"] for r in figure) / len(figure)) if figure
        else float("nan"),
        "mean_questions": (sum(r.get("questions_asked", 0) for r in figure) / len(figure)) if figure
        else float("nan"),
        "kinds": dict(Counter(r["kind"] for r in results)),
        "median_ms": ms[len(ms) // 2] if ms else float("nan"),
    }


def report(summaries: dict[str, dict], part: str) -> str:
    rows = [f"Real questions ({part} part of eval/realq): first reply of the running assistant", "",
            "| ranking | questions | right first reply (in scope) | confidently wrong (all) | out of scope declined"
            " | fee/routing answered with a card | questions asked before an answer |",
            "|---|---|---|---|---|---|---|"]
    for variant, s in summaries.items():
        rows.append(f"| {variant} | {s['questions']} ({s['in_scope']} in / {s['out_of_scope']} out) "
                    f"| {s['right_first']:.1%} | {s['confidently_wrong']:.1%} | {s['declined']:.1%} "
                    f"| {s['first_reply_card']:.1%} | {s['mean_questions']:.2f} |")
    rows.append("")
    rows.append("targets: right first reply ≥ 80%, confidently wrong ≤ 5%, out of scope declined ≥ 85%, "
                "fee/routing card ≥ 80%, questions ≤ 0.3")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="measure", choices=("tune", "measure", "all"))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--out", default=str(RESULTS / "realq"))
    args = ap.parse_args(argv)
    questions = load(args.part)
    summaries, details = {}, {}
    for variant in args.variants.split(","):
        results = run_variant(variant, questions)
        summaries[variant] = summarise(questions, results)
        details[variant] = results
    text = report(summaries, args.part)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{out}-{args.part}.md").write_text(text + "\n", encoding="utf-8")
    Path(f"{out}-{args.part}.json").write_text(json.dumps({"summaries": summaries, "results": details},
                                                          ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
