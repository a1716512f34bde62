"""Retention (bot/web/retention.py): old conversations leave both the front's database and Rasa's tracker store."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import structlog
from sqlalchemy import create_engine, text

from bot.web import retention
from bot.web.config import Settings
from bot.web.db import Conversation, Database, Feedback, Registrant, TurnLog, WechatSeen

NOW = dt.datetime(2026, 6, 1, 12, 0, 0)
OLD = NOW - dt.timedelta(days=400)
RECENT = NOW - dt.timedelta(days=3)

# Rasa 3.6's SQLTrackerStore table
EVENTS_DDL = """CREATE TABLE events (id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255),
    data TEXT, PRIMARY KEY (id))"""


def epoch(when: dt.datetime) -> float:
    return when.replace(tzinfo=dt.timezone.utc).timestamp()


@pytest.fixture
def stores(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}",
                        tracker_db_url=f"sqlite:///{tmp_path / 'tracker.db'}", retention_days=365)
    db = Database(settings.database_url)
    with db.session() as s, s.begin():
        reg = Registrant(credit_code="91110000000000000E", company_name="某公司", industry="餐饮", region="南宁",
                         contact="13812345678", sender_id="reg-91110000000000000E")
        s.add(reg)
        s.flush()
        s.add_all([
            Conversation(sender_id="old-1", channel="widget", created_at=OLD, last_seen_at=OLD),
            Conversation(sender_id="wx-oldwechatuser", channel="wechat", created_at=OLD, last_seen_at=OLD),
            Conversation(sender_id="recent-1", channel="widget", created_at=OLD, last_seen_at=RECENT),
            # old on the front, but the user came back through Rasa directly: kept
            Conversation(sender_id="old-front-recent-tracker", channel="api", created_at=OLD, last_seen_at=OLD),
            Conversation(sender_id="reg-91110000000000000E", channel="registration", created_at=OLD,
                         last_seen_at=OLD, registrant_id=reg.id),
        ])
        turns = [TurnLog(sender_id=s_, direction="user", text="我的电话13812345678", at=at) for s_, at in [
            ("old-1", OLD), ("old-1", OLD), ("wx-oldwechatuser", OLD), ("recent-1", OLD), ("recent-1", RECENT),
            ("old-front-recent-tracker", OLD), ("reg-91110000000000000E", OLD),
            ("orphan-old", OLD),  # a turn log without a conversation row
        ]]
        s.add_all(turns)
        s.flush()
        s.add_all([
            Feedback(sender_id="old-1", turn_id=turns[0].id, verdict="wrong", staff="li", created_at=OLD),
            Feedback(sender_id="recent-1", turn_id=turns[4].id, verdict="helpful", staff="li", created_at=RECENT),
            WechatSeen(msg_id="1", created_at=OLD),
            WechatSeen(msg_id="2", created_at=RECENT),
        ])
    db.engine.dispose()

    engine = create_engine(settings.tracker_db_url, future=True)
    with engine.begin() as conn:
        conn.execute(text(EVENTS_DDL))
        rows = [("old-1", OLD), ("old-1", OLD), ("recent-1", OLD), ("recent-1", RECENT),
                ("old-front-recent-tracker", RECENT), ("wx-oldwechatuser", OLD),
                ("reg-91110000000000000E", OLD), ("tracker-only-old", OLD), ("tracker-only-recent", RECENT)]
        for sender, at in rows:
            conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, '{}')"),
                         {"s": sender, "t": epoch(at)})
    engine.dispose()
    return settings


def front_senders(settings) -> dict[str, set[str]]:
    db = Database(settings.database_url)
    with db.session() as s:
        out = {"conversations": {c.sender_id for c in s.query(Conversation)},
               "turns": {t.sender_id for t in s.query(TurnLog)},
               "feedback": {f.sender_id for f in s.query(Feedback)},
               "seen": {w.msg_id for w in s.query(WechatSeen)},
               "registrants": {r.credit_code for r in s.query(Registrant)}}
    db.engine.dispose()
    return out


def tracker_senders(settings) -> set[str]:
    engine = create_engine(settings.tracker_db_url, future=True)
    with engine.connect() as conn:
        senders = {r[0] for r in conn.execute(text("SELECT sender_id FROM events"))}
    engine.dispose()
    return senders


def test_purge_deletes_old_conversations_from_both_stores(stores):
    report = retention.purge(stores, days=30, now=NOW)
    front = front_senders(stores)
    assert front["conversations"] == {"recent-1", "old-front-recent-tracker"}
    assert front["turns"] == {"recent-1", "old-front-recent-tracker"}
    assert front["feedback"] == {"recent-1"}
    assert front["seen"] == {"2"}
    assert front["registrants"] == {"91110000000000000E"}  # the registration record itself stays
    assert tracker_senders(stores) == {"recent-1", "old-front-recent-tracker", "tracker-only-recent"}
    assert report.conversations == 5  # old-1, wx-oldwechatuser, reg-…, orphan-old, tracker-only-old
    assert (report.turns, report.feedback, report.conversation_rows, report.tracker_events, report.wechat_seen) == (
        5, 1, 3, 5, 1)
    assert report.tracker_store == "ok"


def test_recent_turns_keep_a_conversation(stores):
    retention.purge(stores, days=30, now=NOW)
    db = Database(stores.database_url)
    with db.session() as s:
        kept = [t.at for t in s.query(TurnLog).filter_by(sender_id="recent-1")]
    assert len(kept) == 2  # its old turns go only when the whole conversation is old


def test_dry_run_counts_without_deleting(stores):
    before_front, before_tracker = front_senders(stores), tracker_senders(stores)
    report = retention.purge(stores, days=30, now=NOW, dry_run=True)
    assert (report.turns, report.feedback, report.conversation_rows, report.tracker_events, report.wechat_seen) == (
        5, 1, 3, 5, 1)
    assert front_senders(stores) == before_front and tracker_senders(stores) == before_tracker


def test_retention_setting_is_the_default(stores):
    report = retention.purge(stores, now=NOW)  # RETENTION_DAYS=365: the 400-day-old conversations go
    assert report.cutoff.startswith("2025-06-01")
    assert "old-1" not in front_senders(stores)["conversations"]
    long = retention.purge(stores, days=500, now=NOW)
    assert long.conversations == 0


def test_missing_tracker_store_still_cleans_the_front(tmp_path, stores):
    settings = Settings(database_url=stores.database_url, tracker_db_url=f"sqlite:///{tmp_path / 'nope.db'}")
    report = retention.purge(settings, days=30, now=NOW)
    assert report.tracker_store == "missing"
    assert not (tmp_path / "nope.db").exists()  # not created by looking
    assert "old-1" not in front_senders(settings)["conversations"]


def test_zero_days_is_refused(stores):
    with pytest.raises(ValueError):
        retention.purge(stores, days=0, now=NOW)


def test_log_lines_hold_no_personal_data(stores):
    with structlog.testing.capture_logs() as logs:
        retention.purge(stores, days=30, now=NOW)
    dumped = json.dumps(logs, ensure_ascii=False, default=str)
    assert logs and "13812345678" not in dumped and "91110000000000000E" not in dumped
    assert "wx-oldwechatuser" not in dumped


def test_cli(stores, monkeypatch, capsys):
    monkeypatch.setenv("WEB_DATABASE_URL", stores.database_url)
    monkeypatch.setenv("TRACKER_DB_URL", stores.tracker_db_url)
    assert retention.main(["--days", "30", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "将删除对话" in out
    assert retention.main(["--days", "30"]) == 0
    assert "已删除对话" in capsys.readouterr().out
    assert "tracker-only-old" not in tracker_senders(stores)
    assert retention.main(["--days", "0"]) == 2


def test_agent_assist_scratch_conversations_go_after_a_day(tmp_path):
    import sqlite3
    import time as _time

    from bot.web.config import Settings
    from bot.web.retention import purge

    tracker_path = tmp_path / "tracker.db"
    con = sqlite3.connect(tracker_path)
    con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, "
                "intent_name TEXT, action_name TEXT, data TEXT)")
    two_days_ago = _time.time() - 2 * 86400
    for sender in ("assist-wangfang-1", "w-user-1"):
        con.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, '{}')",
                    (sender, two_days_ago))
    con.commit()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", tracker_db_url=f"sqlite:///{tracker_path}",
                        retention_days=365)
    report = purge(settings)
    left = {row[0] for row in con.execute("SELECT DISTINCT sender_id FROM events")}
    assert left == {"w-user-1"} and report.conversations == 1


def test_purge_removes_handoffs_of_old_conversations_and_expired_log_in_bookkeeping(stores):
    from bot.web.db import Handoff, LoginFailure, StaffSession, StaffUser

    settings = stores
    db = Database(settings.database_url)
    with db.session() as s, s.begin():
        user = StaffUser(username="li", display_name="李", password_hash="x")
        s.add(user)
        s.flush()
        s.add_all([
            Handoff(sender_id="old-1", requested_at=OLD, position=1),
            Handoff(sender_id="recent-1", requested_at=RECENT, position=1),
            StaffSession(id="ended", user_id=user.id, created_at=NOW - dt.timedelta(hours=1), revoked_at=NOW),
            StaffSession(id="old", user_id=user.id, created_at=NOW - dt.timedelta(days=2)),
            StaffSession(id="live", user_id=user.id, created_at=NOW - dt.timedelta(hours=1)),
            LoginFailure(scope="account", key="old", failures=3, window_started_at=NOW - dt.timedelta(days=2)),
            LoginFailure(scope="account", key="now", failures=3, window_started_at=NOW - dt.timedelta(minutes=3)),
        ])
    report = retention.purge(settings, now=NOW)
    assert report.handoffs == 1 and report.expired_logins == 3
    with db.session() as s:
        assert [h.sender_id for h in s.query(Handoff)] == ["recent-1"]
        assert [x.id for x in s.query(StaffSession)] == ["live"]
        assert [f.key for f in s.query(LoginFailure)] == ["now"]


def test_a_deleted_conversation_takes_its_left_message_and_rating_with_it(stores):
    from bot.web.feedback import SessionRating
    from bot.web.messages_left import LeftMessage

    db = Database(stores.database_url)
    with db.session() as s, s.begin():
        s.add(LeftMessage(sender_id="old-1", name="王", phone="13800000000", text="还在吗"))
        s.add(LeftMessage(sender_id="recent-1", name="李", phone="13900000000", text="请回电"))
        s.add(SessionRating(sender_id="old-1", agent="王芳", score=5, comment="", upto_turn=1))
    report = retention.purge(stores, days=30, now=NOW)
    with db.session() as s:
        left = {m.sender_id for m in s.query(LeftMessage)}
        rated = {r.sender_id for r in s.query(SessionRating)}
    assert left == {"recent-1"} and rated == set()  # a phone number does not outlive its conversation
    assert report.widget_rows == 2
