"""Check the real-question development set (eval/realq) and print its counts.

Why: the set is the yardstick for issue 10; a typo in a record id, a duplicated id or a question that moved
between the tuning and the measuring part would silently change every figure measured on it.
Run: /work/main/.venv/bin/python eval/realq/check.py   (exit 1 when a check fails)
"""
from __future__ import annotations

import collections
import hashlib
import pathlib
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
RECORDS = HERE.parent.parent / "knowledge" / "data" / "records"
CAPABILITIES = {"compliance", "first_violation", "litigation_fee", "fee_relief", "mediation", "credit_repair",
                "criminal_risk", "litigation_info", "out_of_scope"}
ASKERS = {"business", "employee", "consumer", "other"}
KINDS = {"query", "calculator", "routing"}
FIELDS = {"id", "text", "source", "in_scope", "capability", "records", "missing", "asker", "kind", "notes"}


def part_of(qid: str) -> str:
    """The split rule: first hex digit of sha256(id) even -> tune, odd -> measure. Never changes."""
    return "tune" if int(hashlib.sha256(qid.encode()).hexdigest()[0], 16) % 2 == 0 else "measure"


def record_ids() -> set[str]:
    ids: set[str] = set()
    for path in RECORDS.rglob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        stack = [data]
        while stack:  # records may sit in lists or under keys; collect every mapping's "id"
            item = stack.pop()
            if isinstance(item, dict):
                if isinstance(item.get("id"), str):
                    ids.add(item["id"])
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return ids


def main() -> int:
    errors: list[str] = []
    sources = {s["id"] for s in yaml.safe_load((HERE / "sources.yml").read_text(encoding="utf-8"))["sources"]}
    known = record_ids()
    seen: set[str] = set()
    texts: dict[str, str] = {}
    rows = []
    for part in ("tune", "measure"):
        for q in yaml.safe_load((HERE / f"{part}.yml").read_text(encoding="utf-8"))["questions"]:
            qid = q.get("id", "?")
            where = f"{part}.yml {qid}"
            if set(q) != FIELDS:
                errors.append(f"{where}: fields {sorted(set(q) ^ FIELDS)} missing or unknown")
            if qid in seen:
                errors.append(f"{where}: duplicate id")
            seen.add(qid)
            if part_of(qid) != part:
                errors.append(f"{where}: the split rule puts it in {part_of(qid)}")
            text = str(q.get("text", "")).strip()
            if not text or len(text) > 300:
                errors.append(f"{where}: text empty or longer than 300 characters")
            if text in texts:
                errors.append(f"{where}: same text as {texts[text]}")
            texts[text] = qid
            if q.get("source", {}).get("id") not in sources or not q.get("source", {}).get("locator"):
                errors.append(f"{where}: unknown source id or no locator")
            cap = q.get("capability")
            if cap not in CAPABILITIES:
                errors.append(f"{where}: capability {cap!r} unknown")
            if q.get("in_scope") != (cap != "out_of_scope"):
                errors.append(f"{where}: in_scope does not agree with capability")
            for rid in q.get("records") or []:
                if rid not in known:
                    errors.append(f"{where}: record {rid} not in knowledge/data/records")
            if cap == "out_of_scope" and q.get("records"):
                errors.append(f"{where}: out-of-scope question lists records")
            if cap != "out_of_scope" and not q.get("records") and not q.get("missing"):
                errors.append(f"{where}: in scope without records must say what is missing")
            if q.get("asker") not in ASKERS or q.get("kind") not in KINDS:
                errors.append(f"{where}: asker or kind unknown")
            rows.append((part, q))
    for e in errors:
        print("ERROR", e)
    total = len(rows)
    print(f"questions: {total}  (tune {sum(p == 'tune' for p, _ in rows)}, "
          f"measure {sum(p == 'measure' for p, _ in rows)})")
    inside = sum(q["in_scope"] for _, q in rows)
    print(f"in scope: {inside} ({inside / max(total, 1):.0%}), out of scope: {total - inside}")
    by_cap = collections.Counter((q["capability"], p) for p, q in rows)
    print("capability            tune  measure  with records")
    for cap in sorted(CAPABILITIES):
        with_rec = sum(1 for _, q in rows if q["capability"] == cap and q["records"])
        print(f"  {cap:20s} {by_cap[(cap, 'tune')]:5d} {by_cap[(cap, 'measure')]:8d} {with_rec:13d}")
    print("asker:", dict(collections.Counter(q["asker"] for _, q in rows)))
    print("sources:", dict(collections.Counter(q["source"]["id"] for _, q in rows)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
