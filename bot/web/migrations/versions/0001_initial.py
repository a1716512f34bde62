"""The web front's tables as create_all made them before migrations (databases made then are stamped here).

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_staff_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime()),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "web_registrants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("credit_code", sa.String(18), nullable=False, unique=True),
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("industry", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("contact", sa.String(64), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime()),
    )
    op.create_table(
        "web_conversations",
        sa.Column("sender_id", sa.String(128), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assigned_to", sa.String(64)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("handoff_requested_at", sa.DateTime()),
        sa.Column("registrant_id", sa.Integer(), sa.ForeignKey("web_registrants.id")),
    )
    op.create_table(
        "web_turns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(32)),
        sa.Column("kb_ids", sa.JSON()),
        sa.Column("intent", sa.String(64)),
        sa.Column("confidence", sa.String(16)),
        sa.Column("unanswered", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_web_turns_sender_id", "web_turns", ["sender_id"])
    op.create_index("ix_web_turns_at", "web_turns", ["at"])
    op.create_table(
        "web_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("turn_id", sa.Integer(), sa.ForeignKey("web_turns.id")),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("staff", sa.String(64), nullable=False),
        sa.Column("kb_ids", sa.JSON()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_web_feedback_sender_id", "web_feedback", ["sender_id"])
    op.create_table(
        "web_wechat_seen",
        sa.Column("msg_id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("web_wechat_seen", "web_feedback", "web_turns", "web_conversations", "web_registrants",
                  "web_staff_users"):
        op.drop_table(table)
