"""Command line of the knowledge base: ``python -m knowledge <command>``.

  validate            check schema, verbatim quotes, ids and references; non-zero exit naming each record
  search "<question>" ranked records with scores
  export              every record (and parameter) as one JSON line
  stats               counts per type and domain; the version caveats that reach users
  load [--force]      load the data files into DATABASE_URL (skipped when unchanged)
  article LAW LABEL   print an article of the statute store
  vendor-laws DIR     re-copy the official texts from DIR (maintainers only)
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
from collections import Counter
from pathlib import Path

from knowledge.kb import KnowledgeBase, KnowledgeError

_DATA_DIR: Path | None = None


def _kb(strict: bool = True) -> KnowledgeBase:
    if _DATA_DIR is not None:
        return KnowledgeBase.from_files(_DATA_DIR, strict=strict)
    return KnowledgeBase.from_files(strict=strict)


def cmd_validate(args) -> int:
    from knowledge.validate import check

    kb = _kb(strict=False)
    problems = check(kb)
    for p in problems:
        print(f"ERROR {p}", file=sys.stderr)
    n_params = len(kb.parameters)
    if problems:
        print(f"{len(problems)} problem(s) in {len(kb.records)} records", file=sys.stderr)
        return 1
    n_cit = sum(len(r.citations) for r in kb.records.values())
    print(f"ok: {len(kb.records)} records, {n_params} parameters, {n_cit} citations verified verbatim")
    return 0


def cmd_search(args) -> int:
    from knowledge.search import Searcher

    kb = _kb()
    hits = Searcher(kb).search(args.question, k=args.k, types=args.type or None, domain=args.domain)
    if not hits:
        print("no match")
        return 1
    for rank, h in enumerate(hits, 1):
        print(f"{rank}. {h.score:.3f}  {h.record_id}  [{h.type}]  {h.title}")
    return 0


def export_rows(kb: KnowledgeBase):
    for rid, rec in kb.records.items():
        row = {"type": rec.type, "id": rid, **json.loads(rec.json())}
        row["citations"] = [kb.citation_dict(c) | {"role": c.role} for c in rec.citations]
        yield row
    for p in kb.parameters:
        refs = [kb.citation_dict_from(r.law, r.article, r.quote) for r in p.all_references()]
        yield {"type": "parameter", "id": f"param.{p.name}", "title": p.description, **p.raw, "citations": refs}


def cmd_export(args) -> int:
    kb = _kb()
    out = sys.stdout
    for row in export_rows(kb):
        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return 0


def cmd_stats(args) -> int:
    kb = _kb()
    by_type = Counter(r.type for r in kb.records.values())
    by_domain = Counter(getattr(r, "domain", None) for r in kb.records.values() if r.type == "compliance_item")
    print("records by type:")
    for t, n in sorted(by_type.items()):
        print(f"  {t:22s} {n}")
    print(f"  {'parameter':22s} {len(kb.parameters)}")
    print("compliance items by domain:")
    for d, n in sorted(by_domain.items()):
        print(f"  {d:22s} {n}")
    laws = Counter(c.law for r in kb.records.values() for c in r.citations)
    print(f"citations: {sum(laws.values())} across {len(laws)} laws")
    print("version caveats shown to users (statute manifest `later_version`, on every answer citing the law):")
    for key, law in kb.statutes.items():
        if not law.later_version:
            continue
        citing = sorted({r.id for r in kb.records.values() for c in r.citations if c.law == key})
        citing += sorted({f"param.{p.name}" for p in kb.parameters for ref in p.all_references() if ref.law == key})
        reach = f"cited by {len(citing)} records/parameters" if citing else "cited by nothing: never shown"
        print(f"  《{law.title}》 text of {law.version}; {reach}")
        print(f"    {law.later_version}")
    return 0


def cmd_load(args) -> int:
    from knowledge.db import load, make_engine

    kb = _kb()
    from knowledge.validate import check

    problems = check(kb)
    if problems:
        for p in problems:
            print(f"ERROR {p}", file=sys.stderr)
        print("not loaded: fix the problems above (python -m knowledge validate)", file=sys.stderr)
        return 1
    engine = make_engine()
    changed = load(kb, engine, force=args.force)
    url = engine.url.render_as_string(hide_password=True)
    print(f"{'loaded' if changed else 'unchanged'}: {len(kb.records)} records, {len(kb.parameters)} parameters in {url}")
    return 0


def cmd_article(args) -> int:
    from knowledge.statutes import load_statutes

    law = load_statutes().get(args.law)
    if not law:
        print(f"unknown law {args.law!r}", file=sys.stderr)
        return 1
    text = law.article(args.label)
    if text is None:
        print(f"{law.title} has no {args.label}", file=sys.stderr)
        return 1
    print(f"{law.title} {args.label}（{law.version}）\n{text}")
    return 0


def cmd_vendor(args) -> int:
    from knowledge.statutes import vendor

    entries = vendor(Path(args.dir))
    print(f"vendored {len(entries)} official texts")
    return 0


def cmd_embed(args) -> int:
    """Compute (or find in the cache) the record vectors, so a server starts without embedding anything."""
    import time

    from knowledge.embeddings import RecordVectors, cache_dir

    kb = _kb()
    started = time.perf_counter()
    vectors = RecordVectors.build(list(kb.records.values()), kb.fingerprint)
    print(f"record vectors: {len(vectors.ids)} records, {len(vectors.owners)} texts, "
          f"{time.perf_counter() - started:.1f} s, cache {cache_dir()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):  # `export | head` should end quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    global _DATA_DIR
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="read the data files from here (default: knowledge/data)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("validate").set_defaults(func=cmd_validate)
    p = sub.add_parser("search")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--type", action="append")
    p.add_argument("--domain")
    p.set_defaults(func=cmd_search)
    sub.add_parser("export").set_defaults(func=cmd_export)
    sub.add_parser("stats").set_defaults(func=cmd_stats)
    p = sub.add_parser("load")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_load)
    sub.add_parser("embed").set_defaults(func=cmd_embed)
    p = sub.add_parser("article")
    p.add_argument("law")
    p.add_argument("label")
    p.set_defaults(func=cmd_article)
    p = sub.add_parser("vendor-laws")
    p.add_argument("dir")
    p.set_defaults(func=cmd_vendor)
    args = parser.parse_args(argv)
    _DATA_DIR = args.data_dir
    try:
        return args.func(args)
    except KnowledgeError as e:
        for p in e.problems:
            print(f"ERROR {p}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
