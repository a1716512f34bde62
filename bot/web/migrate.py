"""Migrations of the web front's tables (Alembic, scripts in bot/web/migrations).

``Database`` calls ``upgrade`` at start, so ``make run`` and every replica bring the schema to the latest revision
before serving (an empty database is built at the latest revision in one step); on PostgreSQL an advisory lock makes replicas starting together take turns.  A database made
before migrations existed (by ``create_all``) has the tables but no version: it is stamped with the first
revision, which is exactly that schema, and upgraded from there.  The version table is ``web_alembic_version``
and only ``web_*`` tables are Alembic's: the knowledge tables and Rasa's events may share the database.

    python -m bot.web.migrate [upgrade [REV] | downgrade REV | current | history | revision -m "why"]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
VERSION_TABLE = "web_alembic_version"
BASELINE = "0001"  # today's schema when migrations were introduced
LOCK_KEY = 7_204_113  # pg_advisory_xact_lock key of the web front's migrations


def include_name(name, type_, parent_names) -> bool:
    """Only the front's tables: the knowledge base and Rasa's events may live in the same database."""
    return type_ != "table" or (name or "").startswith("web_")


def config(connection: Connection | None = None, url: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def _adopt_unversioned(connection: Connection, cfg: Config) -> bool:
    names = set(inspect(connection).get_table_names())
    if VERSION_TABLE not in names and "web_staff_users" in names:
        command.stamp(cfg, BASELINE)
        return True
    return False


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the web tables to ``revision``.  An empty database (no web table yet) at "head" is built from the
    models in one step and stamped, Alembic's recipe for a new database (tests/web/test_migrations.py keeps the
    models and the migrations identical); a database with tables always goes through the migrations."""
    from bot.web.db import Base

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        cfg = config(connection)
        names = set(inspect(connection).get_table_names())
        if revision == "head" and not any(n.startswith("web_") for n in names):
            Base.metadata.create_all(connection)
            command.stamp(cfg, "head")
            return
        _adopt_unversioned(connection, cfg)
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if VERSION_TABLE not in inspect(connection).get_table_names():
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def main(argv: list[str] | None = None) -> int:
    from bot.web.config import Settings
    from bot.web.db import make_engine

    parser = argparse.ArgumentParser(prog="python -m bot.web.migrate", description="前端数据表的结构迁移（Alembic）")
    sub = parser.add_subparsers(dest="command")
    up = sub.add_parser("upgrade", help="升级到指定版本（默认最新）")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="降级到指定版本")
    down.add_argument("revision")
    sub.add_parser("current", help="数据库当前版本")
    sub.add_parser("history", help="全部版本")
    rev = sub.add_parser("revision", help="按模型变化生成新版本脚本")
    rev.add_argument("-m", "--message", required=True)
    parser.add_argument("--database-url", default=None, help="默认取 WEB_DATABASE_URL / DATABASE_URL")
    args = parser.parse_args(argv)
    url = args.database_url or Settings().database_url
    engine = make_engine(url)
    if args.command in (None, "upgrade"):
        upgrade(engine, getattr(args, "revision", "head"))
        print(f"数据表已是版本 {current_revision(engine)}")
    elif args.command == "downgrade":
        with engine.begin() as connection:
            command.downgrade(config(connection), args.revision)
        print(f"数据表已是版本 {current_revision(engine)}")
    elif args.command == "current":
        print(current_revision(engine) or "（未迁移）")
    elif args.command == "history":
        command.history(config(url=url))
    else:
        with engine.begin() as connection:
            command.revision(config(connection), message=args.message, autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
