"""Human handoff as a state of the front, the same from every door (widget, API, WeChat).

A conversation asks for a person (“转人工”, the first message included) → ``queued``: it is in the staff queue,
and the user is told their place and the expected wait → a staff member takes it → ``taken`` → it ends only
when staff hand back or the user cancels (“取消转人工”, the notice's button, or ``/restart``) → ``bot``.

The front's table is the truth, not Rasa's paused flag: while a conversation is queued or taken the front
never asks Rasa for an answer — the user's messages are appended to the tracker (staff read them there) and
nothing answers them but staff.  So a Rasa session that expired, a ``/restart`` or a lost pause cannot make the
bot talk over an agent, and the queue always sees the conversation.  Ending a handoff appends ``resume`` and
``action_listen``: Rasa's next prediction then starts from a clean turn (without it, the paused turns left
the policies predicting the fallback and the handoff again, and every handed-back user was queued again).

The grey notice is not repeated on every message: a queued user hears their place again only when it
changed, after a few quiet minutes, or when they ask (“转人工” again); a taken conversation gets none.
The expected wait is measured: the median minutes per conversation ahead over the last week's takeovers
(``HANDOFF_MINUTES_PER_CONVERSATION`` until there are three).
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
import time
import unicodedata
import uuid

import structlog
from aiohttp import web
from sqlalchemy import and_, func, or_, select

from bot.web.db import Conversation, Handoff, utcnow

logger = structlog.get_logger()

QUEUED, TAKEN, BOT = "queued", "taken", "bot"
ACTIVE = (QUEUED, TAKEN)
CANCEL_PAYLOAD = "/cancel_handoff"
RESTART = "/restart"
CANCEL_WORDS = {"取消转人工", "取消人工", "取消人工服务", "不用人工了", "不要人工了", "不转人工了", "结束人工", "结束人工服务",
                "退出人工", "返回智能助手", "回到智能助手", "cancel"}
ASK_WORDS = {"转人工", "/handoff", "人工", "人工客服", "人工服务", "找人工", "还要等多久", "排到第几了", "排第几"}
REMIND_AFTER = dt.timedelta(minutes=5)
MEASURED_DAYS = 7
MIN_SAMPLES = 3
CANCEL_BUTTON = {"title": "取消转人工", "payload": CANCEL_PAYLOAD}
CANCELLED = "已取消人工服务，接下来由智能助手合规通继续为您解答。需要时可以随时发送“转人工”。"
RESTARTED = "已结束人工服务，对话已重新开始。请直接输入您的问题。"
WITH_AGENT = "人工客服正在为您服务，请直接在这里留言。"


def _word(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower().rstrip("。.!！")


def is_cancel(text: str) -> bool:
    return _word(text) in CANCEL_WORDS or text.strip() == CANCEL_PAYLOAD


def is_restart(text: str) -> bool:
    return text.strip() == RESTART


def asks_for_status(text: str) -> bool:
    return _word(text) in ASK_WORDS


def requested(messages: list[dict]) -> bool:
    """Rasa answered with the handoff card (action_handoff)."""
    for m in messages:
        custom = m.get("custom") if isinstance(m.get("custom"), dict) else {}
        data = custom.get("data") if isinstance(custom.get("data"), dict) else {}
        if custom.get("topic") == "handoff" and data.get("handoff") and not data.get("system"):
            return True
    return False


def system_message(sender: str, text: str, **data) -> dict:
    return {"recipient_id": sender, "text": text,
            "custom": {"topic": "handoff", "kb_ids": [], "citations": [], "data": {"system": True, **data}}}


# ---------------------------------------------------------------------------------------------- the queue (sync)


def status_of(s, sender: str) -> str:
    conv = s.get(Conversation, sender)
    return (conv.status or BOT) if conv is not None else BOT


def position(s, conv: Conversation) -> int:
    """1 for the first in the queue."""
    mine = conv.handoff_requested_at or utcnow()
    ahead = s.execute(select(func.count()).select_from(Conversation).where(
        Conversation.status == QUEUED, Conversation.sender_id != conv.sender_id,
        or_(Conversation.handoff_requested_at < mine,
            and_(Conversation.handoff_requested_at == mine, Conversation.sender_id < conv.sender_id)))).scalar()
    return (ahead or 0) + 1


def minutes_per_conversation(s, default: float, now: dt.datetime) -> float:
    rows = s.execute(select(Handoff.requested_at, Handoff.taken_at, Handoff.position).where(
        Handoff.taken_at.is_not(None), Handoff.taken_at >= now - dt.timedelta(days=MEASURED_DAYS),
        Handoff.position >= 1).order_by(Handoff.taken_at.desc()).limit(50)).all()
    samples = [max(0.0, (taken - asked).total_seconds() / 60) / pos for asked, taken, pos in rows]
    return statistics.median(samples) if len(samples) >= MIN_SAMPLES else default


def expected_minutes(s, place: int, default: float, now: dt.datetime) -> int:
    return max(1, math.ceil(minutes_per_conversation(s, default, now) * place))


def _open_handoff(s, sender: str) -> Handoff | None:
    return s.execute(select(Handoff).where(Handoff.sender_id == sender, Handoff.ended_at.is_(None))
                     .order_by(Handoff.id.desc()).limit(1)).scalar_one_or_none()


def enqueue(sender: str, channel: str, default_minutes: float):
    """Put the conversation in the queue (made if new); returns (position, expected minutes)."""

    def write(s):
        now = utcnow()
        conv = s.get(Conversation, sender)
        if conv is None:
            conv = Conversation(sender_id=sender, channel=channel, status=BOT, created_at=now, last_seen_at=now)
            s.add(conv)
        if conv.status not in ACTIVE:
            conv.status, conv.assigned_to, conv.handoff_requested_at = QUEUED, None, now
            s.flush()
            place = position(s, conv)
            s.add(Handoff(sender_id=sender, channel=conv.channel, requested_at=now, position=place))
        place = position(s, conv) if conv.status == QUEUED else 0
        conv.notified_at, conv.notified_position = now, place
        return place, expected_minutes(s, max(place, 1), default_minutes, now)

    return write


def take(sender: str, staff_username: str):
    def write(s):
        now = utcnow()
        conv = s.get(Conversation, sender)
        if conv is None:
            conv = Conversation(sender_id=sender, channel="api", created_at=now, last_seen_at=now)
            s.add(conv)
        record = _open_handoff(s, sender)
        if record is None:  # staff took a conversation that had not asked: a handoff all the same
            record = Handoff(sender_id=sender, channel=conv.channel, requested_at=now, position=0)
            s.add(record)
        if record.taken_at is None:
            record.taken_at = now
        record.taken_by = staff_username
        conv.status, conv.assigned_to = TAKEN, staff_username
        if conv.handoff_requested_at is None:
            conv.handoff_requested_at = now

    return write


def end(sender: str, by: str):
    """Back to the bot; ``by`` is "staff" (handed back) or "user" (cancelled)."""

    def write(s):
        now = utcnow()
        conv = s.get(Conversation, sender)
        if conv is not None:
            conv.status, conv.assigned_to, conv.handoff_requested_at = BOT, None, None
            conv.notified_at = conv.notified_position = None
        record = _open_handoff(s, sender)
        if record is not None:
            record.ended_at, record.ended_by = now, by

    return write


def queue_notice(sender: str, place: int, minutes: int) -> dict:
    if place <= 1:
        where = "您排在第 1 位，工作人员空闲后会首先为您服务"
    else:
        where = f"您前面还有 {place - 1} 位用户在等待"
    text = (f"已为您排队转接人工客服：{where}，预计等待约 {minutes} 分钟。工作人员接入后会在这里回复您，"
            "您可以先把问题留言在这里。不想等了，可以发送“取消转人工”回到智能助手。")
    message = system_message(sender, text, waiting=True, position=place, expected_minutes=minutes)
    message["buttons"] = [CANCEL_BUTTON]
    return message


# ---------------------------------------------------------------------------------------------- turns (async)


def _user_event(text: str, channel: str) -> dict:
    # appended, not sent: no NLU, no prediction (parse_data without an intent is what Rasa accepts here)
    return {"event": "user", "text": text, "timestamp": time.time(), "input_channel": channel,
            "message_id": uuid.uuid4().hex, "metadata": {"channel": channel, "handoff": True},
            "parse_data": {"text": text, "entities": []}}


def _resume_events() -> list[dict]:
    now = time.time()
    return [{"event": "resume", "timestamp": now}, {"event": "action", "name": "action_listen", "timestamp": now}]


async def back_to_bot(app: web.Application, sender: str, by: str, extra: list[dict] | None = None) -> None:
    """End the handoff in Rasa (resume, clean turn) and in the front's tables."""
    await app["rasa"].append_events(sender, (extra or []) + _resume_events())
    await app["db"].run(end(sender, by))
    logger.info("handoff.ended", sender=sender, by=by)


async def entered(app: web.Application, sender: str, channel: str) -> dict:
    """The conversation asked for a person: queue it and say where it stands."""
    settings = app["settings"]
    place, minutes = await app["db"].run(enqueue(sender, channel, settings.handoff_minutes_per_conversation))
    logger.info("handoff.queued", sender=sender, position=place)
    if place == 0:  # already with an agent
        return system_message(sender, WITH_AGENT, taken=True)
    return queue_notice(sender, place, minutes)


async def hold(app: web.Application, sender: str, text: str, channel: str) -> list[dict]:
    """A message while the conversation is queued or taken: for staff, not for the bot."""
    if is_cancel(text) or is_restart(text):
        return await cancel(app, sender, text, channel)
    await app["rasa"].append_events(sender, [_user_event(text, channel)])
    settings = app["settings"]
    asked = asks_for_status(text)

    def notice_due(s):
        conv = s.get(Conversation, sender)
        if conv is None or conv.status not in ACTIVE:
            return None
        if conv.status == TAKEN:
            return ("taken",) if asked else None
        now = utcnow()
        place = position(s, conv)
        quiet = conv.notified_at is None or now - conv.notified_at >= REMIND_AFTER
        if not (asked or quiet or place != conv.notified_position):
            return None
        conv.notified_at, conv.notified_position = now, place
        return "queued", place, expected_minutes(s, place, settings.handoff_minutes_per_conversation, now)

    due = await app["db"].run(notice_due)
    if due is None:
        return []
    if due[0] == "taken":
        return [system_message(sender, WITH_AGENT, taken=True)]
    return [queue_notice(sender, due[1], due[2])]


async def cancel(app: web.Application, sender: str, text: str, channel: str) -> list[dict]:
    restart = is_restart(text)
    said = RESTARTED if restart else CANCELLED
    notice = {"event": "bot", "text": said, "timestamp": time.time(), "metadata": {"source": "system"},
              "data": {"custom": {"topic": "handoff", "kb_ids": [], "citations": [],
                                  "data": {"system": True, "cancelled": True}}}}
    await back_to_bot(app, sender, "user", [_user_event(text, channel)] if not restart else [])
    if restart:  # what the user asked for: a fresh conversation, in Rasa too
        await app["rasa"].send(sender, RESTART, {"channel": channel})
    await app["rasa"].append_events(sender, [notice])
    return [system_message(sender, said, cancelled=True)]
