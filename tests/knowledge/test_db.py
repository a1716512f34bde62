"""Loading into a database: idempotent, ids stable, and the database gives back the same knowledge."""
import os

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.db import from_db, load, make_engine
from knowledge.models import CitationRow, RecordRow


def counts(engine):
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(RecordRow)), s.scalar(
            select(func.count()).select_from(CitationRow))


def roundtrip(kb, url):
    engine = make_engine(url)
    assert load(kb, engine, force=True)
    first = counts(engine)
    with Session(engine) as s:
        ids_before = sorted(s.scalars(select(RecordRow.id)))
    assert load(kb, engine) is False  # unchanged fingerprint: skipped
    assert load(kb, engine, force=True)  # forced reload: same rows
    assert counts(engine) == first
    with Session(engine) as s:
        assert sorted(s.scalars(select(RecordRow.id))) == ids_before
    back = from_db(engine)
    assert set(back.records) == set(kb.records)
    rid = "market.food.expired_food"
    assert back.records[rid] == kb.records[rid]
    assert back.citations_of([rid]) == kb.citations_of([rid])
    assert back.parameters.value("litigation_fee.reduction.simplified_procedure", "2024-01-01") == \
        kb.parameters.value("litigation_fee.reduction.simplified_procedure", "2024-01-01")
    return engine


def test_sqlite_roundtrip(kb, tmp_path):
    roundtrip(kb, f"sqlite:///{tmp_path / 'kb.db'}")


@pytest.mark.production
def test_postgresql_roundtrip(kb):
    url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    engine = roundtrip(kb, url)
    engine.dispose()


def test_a_database_of_an_older_layout_is_recreated_on_load(kb, tmp_path):
    """kb_laws without the later_version column (an older release made it): loading rebuilds the tables."""
    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE kb_laws (key VARCHAR(80) PRIMARY KEY, title VARCHAR(200) NOT NULL, "
                          "version VARCHAR(10) NOT NULL, version_note TEXT NOT NULL, source VARCHAR(300) NOT NULL, "
                          "sha256 VARCHAR(64) NOT NULL, caveat TEXT NOT NULL)"))
    assert load(kb, engine)
    back = from_db(engine)
    notes = {k: law.later_version for k, law in back.statutes.items() if law.later_version}
    assert notes == {k: law.later_version for k, law in kb.statutes.items() if law.later_version}
    assert "反不正当竞争法" in notes
