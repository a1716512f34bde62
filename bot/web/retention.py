"""Retention: delete conversations nobody has touched for ``RETENTION_DAYS`` (default 365).

A conversation (a sender id) is deleted when its last activity in *both* stores is older than the cutoff:

* the front's database (``WEB_DATABASE_URL``): its turn log, the staff feedback on it and its conversation row
  (``web_turns``, ``web_feedback``, ``web_conversations``); WeChat retry markers older than the cutoff go too;
* Rasa's tracker store (``TRACKER_DB_URL``, or the SQLite file ``TRACKER_SQLITE_PATH``): the rows of the
  ``events`` table of SQLTrackerStore.

Registrant records (company, credit code, contact) are not conversations and are kept.

Run it daily, e.g. from cron::

    python -m bot.web.retention                # RETENTION_DAYS from the environment
    python -m bot.web.retention --days 180 --dry-run

Log lines carry counts only; anything that could hold personal data goes through ``privacy.mask``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import structlog
from sqlalchemy import create_engine, inspect, or_, select, text
from sqlalchemy.engine import Engine

from bot.web.config import Settings
from bot.web.db import (
    Conversation,
    Database,
    Feedback,
    Handoff,
    LoginFailure,
    StaffSession,
    TurnLog,
    WechatSeen,
    utcnow,
)
from bot.web.feedback import SessionRating
from bot.web.messages_left import LeftMessage
from bot.web.presence import AgentTyping
from bot.web.privacy import mask

logger = structlog.get_logger()
CHUNK = 500


@dataclass
class PurgeReport:
    cutoff: str
    conversations: int = 0  # sender ids whose data was deleted
    turns: int = 0
    feedback: int = 0
    conversation_rows: int = 0
    widget_rows: int = 0  # ratings, messages left (phone numbers), agent typing of the deleted conversations
    tracker_events: int = 0
    wechat_seen: int = 0
    handoffs: int = 0
    expired_logins: int = 0  # ended staff sessions and old log-in failure counters
    tracker_store: str = "ok"  # ok | missing (no events table / no file) | error: ...
    dry_run: bool = False


ASSIST_PREFIX = "assist-"
ASSIST_DAYS = 1


def _chunks(items: Iterable[str], size: int = CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def tracker_engine(url: str) -> Engine | None:
    """The tracker store's engine, or None when there is no tracker database yet (nothing to delete)."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if path and path != ":memory:" and not Path(path).exists():
            return None
    engine = create_engine(url, future=True)
    if not inspect(engine).has_table("events"):
        engine.dispose()
        return None
    return engine


def _front_activity(session, cutoff: dt.datetime) -> tuple[set[str], set[str]]:
    """(senders seen since the cutoff, senders only seen before it) in the front's database."""
    recent = set(session.scalars(select(Conversation.sender_id).where(Conversation.last_seen_at >= cutoff)))
    recent |= set(session.scalars(select(TurnLog.sender_id).where(TurnLog.at >= cutoff).distinct()))
    everyone = set(session.scalars(select(Conversation.sender_id)))
    everyone |= set(session.scalars(select(TurnLog.sender_id).distinct()))
    everyone |= set(session.scalars(select(Feedback.sender_id).distinct()))
    return recent, everyone - recent


def _tracker_activity(engine: Engine, cutoff_ts: float) -> tuple[set[str], set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sender_id, MAX(timestamp) FROM events GROUP BY sender_id")).all()
    recent = {s for s, last in rows if last is None or last >= cutoff_ts}  # no timestamp: keep, to be safe
    return recent, {s for s, _ in rows} - recent


def purge(settings: Settings, days: int | None = None, now: dt.datetime | None = None,
          dry_run: bool = False) -> PurgeReport:
    days = settings.retention_days if days is None else days
    if days < 1:
        raise ValueError("retention must be at least 1 day")
    now = now or utcnow()  # naive UTC, like the front's columns
    cutoff = now - dt.timedelta(days=days)
    cutoff_ts = cutoff.replace(tzinfo=dt.timezone.utc).timestamp()
    report = PurgeReport(cutoff=cutoff.isoformat(timespec="seconds") + "Z", dry_run=dry_run)

    db = Database(settings.database_url)
    try:
        tracker = tracker_engine(settings.tracker_db_url)
    except Exception as e:  # a wrong URL must not stop the front's own clean-up
        tracker = None
        report.tracker_store = "error: " + mask(str(e))[:200]
    if tracker is None and report.tracker_store == "ok":
        report.tracker_store = "missing"

    with db.session() as s:
        front_recent, front_old = _front_activity(s, cutoff)
    tracker_recent, tracker_old = _tracker_activity(tracker, cutoff_ts) if tracker is not None else (set(), set())
    stale = (front_old | tracker_old) - front_recent - tracker_recent
    if tracker is not None:
        # the staff console's agent-assist questions are scratch conversations: kept one day, not a year
        assist_cutoff = (now - dt.timedelta(days=ASSIST_DAYS)).replace(tzinfo=dt.timezone.utc).timestamp()
        assist_recent, assist_old = _tracker_activity(tracker, assist_cutoff)
        assist = {x for x in assist_old if x.startswith(ASSIST_PREFIX)}
        stale |= assist
        tracker_old |= assist
    report.conversations = len(stale)

    with db.session() as s, s.begin():
        for batch in _chunks(stale):
            tables = ((Feedback, "feedback"), (TurnLog, "turns"), (Handoff, "handoffs"),
                      (SessionRating, "widget_rows"), (LeftMessage, "widget_rows"), (AgentTyping, "widget_rows"),
                      (Conversation, "conversation_rows"))
            for model, attr in tables:  # feedback first: it refers to turns
                query = s.query(model).filter(model.sender_id.in_(batch))
                n = query.count() if dry_run else query.delete(synchronize_session=False)
                setattr(report, attr, getattr(report, attr) + n)
        query = s.query(WechatSeen).filter(WechatSeen.created_at < cutoff)
        report.wechat_seen = query.count() if dry_run else query.delete(synchronize_session=False)
        # security bookkeeping is kept days, not the retention period: ended log-ins, stale failure counters
        day_ago = now - dt.timedelta(days=1)
        for query in (s.query(StaffSession).filter(or_(StaffSession.revoked_at.is_not(None),
                                                       StaffSession.created_at < day_ago)),
                      s.query(LoginFailure).filter(LoginFailure.window_started_at < day_ago,
                                                   or_(LoginFailure.locked_until.is_(None),
                                                       LoginFailure.locked_until < now))):
            report.expired_logins += query.count() if dry_run else query.delete(synchronize_session=False)

    if tracker is not None:
        stale_tracker = [sender for sender in stale if sender in tracker_old]
        with tracker.begin() as conn:
            for batch in _chunks(stale_tracker):
                params = {f"s{i}": sender for i, sender in enumerate(batch)}
                where = f"sender_id IN ({', '.join(':' + k for k in params)})"
                if dry_run:
                    report.tracker_events += conn.execute(text(f"SELECT COUNT(*) FROM events WHERE {where}"),
                                                          params).scalar() or 0
                else:
                    report.tracker_events += conn.execute(text(f"DELETE FROM events WHERE {where}"), params).rowcount
        tracker.dispose()
    db.engine.dispose()
    logger.info("retention.purged", days=days, **{k: v for k, v in asdict(report).items() if k != "cutoff"})
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.web.retention",
                                     description="删除超过保存期限的对话（前端记录与 Rasa 对话记录）")
    parser.add_argument("--days", type=int, default=None, help="保存天数（默认取环境变量 RETENTION_DAYS，未设置时为365）")
    parser.add_argument("--dry-run", action="store_true", help="只统计将删除的数量，不删除")
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        report = purge(settings, days=args.days, dry_run=args.dry_run)
    except ValueError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    verb = "将删除" if report.dry_run else "已删除"
    print(f"保存期限截止：{report.cutoff}（早于此时间且此后无活动的对话）")
    print(f"{verb}对话 {report.conversations} 个：轮次记录 {report.turns} 条，反馈 {report.feedback} 条，"
          f"会话行 {report.conversation_rows} 条，Rasa 事件 {report.tracker_events} 条；微信去重记录 {report.wechat_seen} 条")
    if report.tracker_store != "ok":
        print(f"Rasa 对话库：{report.tracker_store}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
