"""The widget's tables: ratings after a human session, messages left when nobody is on duty, staff presence and
agent typing (bot/web/feedback.py, messages_left.py, presence.py).

Created from the models' own table definitions, so the migration and the models cannot drift apart.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("web_session_ratings", "web_left_messages", "web_staff_presence", "web_agent_typing")


def _tables():
    import bot.web.feedback  # noqa: F401  (registers the tables on Base.metadata)
    import bot.web.messages_left  # noqa: F401
    import bot.web.presence  # noqa: F401
    from bot.web.db import Base

    return [Base.metadata.tables[name] for name in TABLES]


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables():
        table.create(bind=bind, checkfirst=True)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_tables()):
        table.drop(bind=bind, checkfirst=True)
