"""Doors that hold: server-side staff sessions, log-in failures per account/source/pair, the handoff history and
the queue notice given to a waiting user; the per-account counters move out of web_staff_users.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_staff_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("web_staff_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime()),
    )
    op.create_index("ix_web_staff_sessions_user_id", "web_staff_sessions", ["user_id"])
    op.create_table(
        "web_login_failures",
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime()),
    )
    op.create_table(
        "web_handoffs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16)),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime()),
        sa.Column("taken_by", sa.String(64)),
        sa.Column("ended_at", sa.DateTime()),
        sa.Column("ended_by", sa.String(16)),
    )
    op.create_index("ix_web_handoffs_sender_id", "web_handoffs", ["sender_id"])
    op.create_index("ix_web_handoffs_requested_at", "web_handoffs", ["requested_at"])
    op.create_index("ix_web_handoffs_taken_at", "web_handoffs", ["taken_at"])
    with op.batch_alter_table("web_conversations") as batch:
        batch.add_column(sa.Column("notified_at", sa.DateTime()))
        batch.add_column(sa.Column("notified_position", sa.Integer()))
    with op.batch_alter_table("web_staff_users") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("web_staff_users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime()))
    with op.batch_alter_table("web_conversations") as batch:
        batch.drop_column("notified_position")
        batch.drop_column("notified_at")
    op.drop_table("web_handoffs")
    op.drop_table("web_login_failures")
    op.drop_table("web_staff_sessions")
