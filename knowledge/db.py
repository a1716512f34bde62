"""Loading the knowledge base into a database and reading it back.

``DATABASE_URL`` selects the database (any SQLAlchemy URL); the default is an SQLite file under ``var/``.
Loading is idempotent: the same data files always give the same rows, and an unchanged fingerprint skips the
reload altogether.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import create_engine, delete, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge.kb import KnowledgeBase
from knowledge.models import ArticleRow, Base, CitationRow, LawRow, MetaRow, RecordRow
from knowledge.parameters import ParameterTree, parameter_from_dict
from knowledge.schema import RECORD_TYPES
from knowledge.statutes import Law

ROOT = Path(__file__).resolve().parent.parent
LAW_FIELDS = ("key", "title", "version", "version_note", "source", "sha256", "caveat", "later_version")  # Law <-> LawRow
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'knowledge.db'}"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, future=True, pool_pre_ping=True)


def ensure_schema(engine: Engine) -> None:
    """Create the knowledge tables; recreate them when one lacks a column (made by an older release).

    They hold nothing but what ``load`` writes from the data files, so dropping them loses nothing: the next load
    fills them again (its fingerprint is gone with them).
    """
    insp = inspect(engine)
    stale = any(
        insp.has_table(t.name) and {c.name for c in t.columns} - {c["name"] for c in insp.get_columns(t.name)}
        for t in Base.metadata.sorted_tables
    )
    if stale:
        Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


def loaded_fingerprint(engine: Engine) -> str | None:
    ensure_schema(engine)
    with Session(engine) as s:
        row = s.get(MetaRow, "fingerprint")
        return row.value if row else None


def load(kb: KnowledgeBase, engine: Engine, force: bool = False) -> bool:
    """Replace the database content with ``kb``; return False when it was already loaded."""
    ensure_schema(engine)
    if not force and loaded_fingerprint(engine) == kb.fingerprint:
        return False
    with Session(engine) as s, s.begin():
        for model in (CitationRow, RecordRow, ArticleRow, MetaRow, LawRow):
            s.execute(delete(model))
        cited = {(c.law, c.article) for r in kb.records.values() for c in r.citations}
        cited |= {(ref.law, ref.article) for p in kb.parameters for ref in p.all_references()}
        for law in kb.statutes.values():
            s.add(LawRow(**{f: getattr(law, f) for f in LAW_FIELDS}))
        s.flush()
        # Only cited articles are stored: the vendored files stay the full reference.
        s.add_all(
            ArticleRow(law_key=law, label=label, text=kb.statutes[law].articles[label])
            for law, label in sorted(cited)
            if law in kb.statutes and label in kb.statutes[law].articles
        )
        for rid, rec in kb.records.items():
            row = RecordRow(
                id=rid,
                type=rec.type,
                domain=getattr(rec, "domain", None),
                title=rec.title,
                origin=kb.origins[rid],
                data=json.loads(rec.json()),
            )
            row.citations = [
                CitationRow(position=i, law_key=c.law, article=c.article, quote=c.quote, role=c.role)
                for i, c in enumerate(rec.citations)
            ]
            s.add(row)
        for p in kb.parameters:
            s.add(
                RecordRow(
                    id=f"param.{p.name}",
                    type="parameter",
                    title=p.description[:300],
                    origin=f"parameters/{p.source_file}",
                    data={"name": p.name, **p.raw},
                )
            )
        s.add(MetaRow(key="fingerprint", value=kb.fingerprint))
        s.add(MetaRow(key="vocab", value=json.dumps(kb.vocab, ensure_ascii=False)))
        s.add(MetaRow(key="synonym_groups", value=json.dumps(kb.synonym_groups, ensure_ascii=False)))
        s.add(MetaRow(key="region_parents", value=json.dumps(kb.region_parents, ensure_ascii=False)))
    return True


def from_db(engine: Engine) -> KnowledgeBase:
    """Rebuild the knowledge base from the database (what servers use in production)."""
    with Session(engine) as s:
        laws = {}
        for row in s.scalars(select(LawRow)):
            laws[row.key] = Law(**{f: getattr(row, f) for f in LAW_FIELDS})
        for art in s.scalars(select(ArticleRow)):
            laws[art.law_key].articles[art.label] = art.text
        records, origins, params = {}, {}, {}
        for row in s.scalars(select(RecordRow)):
            if row.type == "parameter":
                data = dict(row.data)
                name = data.pop("name")
                params[name] = parameter_from_dict(name, data, source_file=row.origin)
                continue
            records[row.id] = RECORD_TYPES[row.type](**row.data)
            origins[row.id] = row.origin
        meta = {m.key: m.value for m in s.scalars(select(MetaRow))}
    if "fingerprint" not in meta:
        raise RuntimeError("the knowledge database is empty: run `python -m knowledge load`")
    return KnowledgeBase(
        records=records,
        origins=origins,
        statutes=laws,
        parameters=ParameterTree(params),
        vocab=json.loads(meta.get("vocab", "{}")),
        synonym_groups=json.loads(meta.get("synonym_groups", "[]")),
        region_parents=json.loads(meta.get("region_parents", "{}")),
        fingerprint=meta["fingerprint"],
    )
