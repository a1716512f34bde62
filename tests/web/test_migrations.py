"""The web front's schema comes from Alembic migrations: the models and the migrations agree, a database made
by create_all before migrations existed is adopted and upgraded with its rows, and PostgreSQL gets the same."""
from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path as _Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.web import migrate
from bot.web.db import Base, Database, make_engine
from bot.web.migrate import include_name

# the newest revision: every test below expects the database brought to it
HEAD = sorted(p.name[:4] for p in (_Path(__file__).resolve().parents[2] / "bot" / "web" / "migrations" / "versions").glob("0*.py"))[-1]

NOW = dt.datetime(2026, 1, 5, 9, 0)


def differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True,
                                                             "version_table": migrate.VERSION_TABLE})
        return compare_metadata(context, Base.metadata)


def columns(engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def test_the_migrations_build_exactly_the_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    migrate.upgrade(engine, migrate.BASELINE)  # revision by revision, as a live database goes
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD
    assert differences(engine) == []  # a model changed without a migration fails here


def test_a_new_database_starts_at_the_latest_revision(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'web.db'}")
    assert migrate.current_revision(db.engine) == HEAD
    assert differences(db.engine) == []


def test_the_front_never_calls_create_all_on_a_database_with_tables():
    import inspect as source

    import bot.web.db as db_module

    assert "create_all(" not in source.getsource(db_module)
    body = source.getsource(migrate.upgrade)
    assert body.index("if revision == \"head\" and not any(") < body.index("create_all")


def test_a_database_with_web_tables_is_migrated_not_recreated(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, migrate.BASELINE)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE web_local_notes (id INTEGER PRIMARY KEY)"))  # an operator's own table
    Database(url)
    assert "web_local_notes" in sa.inspect(engine).get_table_names()
    assert "failed_logins" not in columns(engine, "web_staff_users")  # 0002 ran on the live table


def test_a_database_made_before_migrations_is_adopted_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, migrate.BASELINE)  # exactly the schema create_all made until now
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {migrate.VERSION_TABLE}"))  # as create_all left it: no version
        conn.execute(sa.text("INSERT INTO web_staff_users (username, display_name, password_hash, role, "
                             "failed_logins, active, created_at) VALUES ('zhang', '张三', 'h', 'agent', 2, 1, :t)"),
                     {"t": NOW})
        conn.execute(sa.text("INSERT INTO web_conversations (sender_id, channel, status, created_at, last_seen_at) "
                             "VALUES ('w-1', 'widget', 'queued', :t, :t)"), {"t": NOW})
    assert "failed_logins" in columns(engine, "web_staff_users")

    db = Database(url)  # what the front does at start
    assert migrate.current_revision(db.engine) == HEAD
    assert "failed_logins" not in columns(db.engine, "web_staff_users")
    assert {"notified_at", "notified_position"} <= columns(db.engine, "web_conversations")
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT username FROM web_staff_users")).scalars().all() == ["zhang"]
        assert conn.execute(sa.text("SELECT status FROM web_conversations")).scalars().all() == ["queued"]
    assert differences(db.engine) == []


def test_upgrading_twice_changes_nothing_and_downgrade_round_trips(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    Database(url)
    Database(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        from alembic import command

        command.downgrade(migrate.config(conn), migrate.BASELINE)
    assert migrate.current_revision(engine) == "0001"
    assert "failed_logins" in columns(engine, "web_staff_users")
    migrate.upgrade(engine)
    assert differences(engine) == []


@pytest.mark.production
def test_postgresql_gets_the_same_schema():
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    name = f"hegui_migrate_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        engine = make_engine(url)
        migrate.upgrade(engine, migrate.BASELINE)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {migrate.VERSION_TABLE}"))
        db = Database(url)
        assert migrate.current_revision(db.engine) == HEAD
        assert differences(db.engine) == []
        db.engine.dispose()
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
