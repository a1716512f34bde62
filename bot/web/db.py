"""The web front's own tables (staff and their sessions, log-in failures, conversations it has seen, handoffs,
feedback, registrants, WeChat de-duplication).

Same database as the knowledge base by default (``WEB_DATABASE_URL`` or ``DATABASE_URL``).  The schema is
Alembic's (bot/web/migrations): ``Database`` brings it to the latest revision at start — never ``create_all``,
which would not alter a live PostgreSQL table.  A change to these models comes with a new revision
(``python -m bot.web.migrate revision -m "why"``); tests/web/test_migrations.py fails until it does.
SQLAlchemy runs synchronously, so handlers call it through ``Database.run`` (a thread) to keep the loop free.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, Text, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

Base = declarative_base()
T = TypeVar("T")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class StaffUser(Base):
    __tablename__ = "web_staff_users"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), unique=True, nullable=False)
    display_name = Column(String(64), nullable=False)
    password_hash = Column(String(255), nullable=False)  # argon2
    role = Column(String(16), nullable=False, default="agent")  # agent | admin
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class StaffSession(Base):
    """One log-in: the encrypted cookie names it, log-out revokes it here (a copied cookie dies with it)."""

    __tablename__ = "web_staff_sessions"
    id = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("web_staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    revoked_at = Column(DateTime)


class LoginFailure(Base):
    """Failed log-ins counted per account name (known or not), per source address, and per the pair of both."""

    __tablename__ = "web_login_failures"
    scope = Column(String(16), primary_key=True)  # account | source | pair
    key = Column(String(200), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    window_started_at = Column(DateTime, nullable=False, default=utcnow)
    locked_until = Column(DateTime)


class Conversation(Base):
    """What the front knows of a conversation; the turns themselves live in Rasa's tracker store."""

    __tablename__ = "web_conversations"
    sender_id = Column(String(128), primary_key=True)
    channel = Column(String(16), nullable=False, default="api")  # widget | wechat | api | registration
    status = Column(String(16), nullable=False, default="bot")  # bot | queued (asked for a human) | taken
    assigned_to = Column(String(64))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)
    handoff_requested_at = Column(DateTime)
    registrant_id = Column(Integer, ForeignKey("web_registrants.id"))
    notified_at = Column(DateTime)  # the last queue notice the user was given (position and expected wait)
    notified_position = Column(Integer)


class Handoff(Base):
    """One request for a human, from asking to the end: the queue's history and its measured waits."""

    __tablename__ = "web_handoffs"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(16))
    requested_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    position = Column(Integer, nullable=False, default=1)  # place in the queue when asked
    taken_at = Column(DateTime, index=True)
    taken_by = Column(String(64))
    ended_at = Column(DateTime)
    ended_by = Column(String(16))  # staff (handed back) | user (cancelled)


class TurnLog(Base):
    """One line per message through the front: powers search, the queue and the unanswered-questions view."""

    __tablename__ = "web_turns"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    direction = Column(String(8), nullable=False)  # user | bot | agent | system
    text = Column(Text, nullable=False, default="")
    topic = Column(String(32))
    kb_ids = Column(JSON)
    intent = Column(String(64))
    confidence = Column(String(16))
    unanswered = Column(Boolean, nullable=False, default=False)  # fallback, low confidence, apology


class Feedback(Base):
    __tablename__ = "web_feedback"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    turn_id = Column(Integer, ForeignKey("web_turns.id"))
    verdict = Column(String(8), nullable=False)  # helpful | wrong
    comment = Column(Text, nullable=False, default="")
    staff = Column(String(64), nullable=False)
    kb_ids = Column(JSON)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Registrant(Base):
    __tablename__ = "web_registrants"
    id = Column(Integer, primary_key=True)
    credit_code = Column(String(18), unique=True, nullable=False)
    company_name = Column(String(200), nullable=False)
    industry = Column(String(64), nullable=False)
    region = Column(String(64), nullable=False)
    contact = Column(String(64), nullable=False, default="")
    sender_id = Column(String(128), nullable=False, unique=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    delivered_at = Column(DateTime)


class WechatSeen(Base):
    """MsgIds already answered: WeChat retries a message twice when the first reply is slow."""

    __tablename__ = "web_wechat_seen"
    msg_id = Column(String(64), primary_key=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        return create_engine(url, future=True, connect_args={"check_same_thread": False})
    return create_engine(url, future=True, pool_pre_ping=True)


class Database:
    def __init__(self, url: str, migrate: bool = True):
        self.engine = make_engine(url)
        if migrate:
            from bot.web.migrate import upgrade

            upgrade(self.engine)
        self.Session = sessionmaker(self.engine, expire_on_commit=False, future=True)

    def session(self) -> Session:
        return self.Session()

    async def run(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in a worker thread inside a transaction."""

        def work() -> T:
            with self.Session() as s, s.begin():
                return fn(s)

        return await asyncio.get_running_loop().run_in_executor(None, partial(work))
