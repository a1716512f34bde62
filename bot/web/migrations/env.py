"""Alembic environment of the web front's tables (run through bot/web/migrate.py)."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.web.db import Base
from bot.web.migrate import VERSION_TABLE, include_name

config = context.config

def run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE,
                      include_name=include_name, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with create_engine(config.get_main_option("sqlalchemy.url")).begin() as conn:
        run(conn)
