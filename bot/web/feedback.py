"""The user's satisfaction rating after a human session (what WeChat customer service asks at the end of a chat).

A rating is due once an agent has written in the conversation (a turn-log line with direction "agent") and the
conversation is no longer with a human (handed back to the assistant): the widget then shows five choices
(非常满意 … 非常不满意) and an optional comment. Each rating records ``upto_turn``, the agent turn it rates, so a
rating is asked once per human session and again only after a later one; "暂不评价" is stored as a rating without a
score, so a user who declines is not asked again either.

Routes
- ``POST /api/rating``  {"score": 1..5 | null, "comment": "..."} for the visitor's own conversation (session cookie or
                        X-Widget-Token, as /api/history); 409 when no human session waits for a rating.
- ``GET /staff/api/conversations/{sender}/ratings``  the ratings of one conversation, comments masked, for the
                        conversation page; ``recent_ratings`` feeds the staff page of messages and ratings.
The history answer carries ``rating_due`` (bool) through bot/web/widget.py ``HISTORY_EXTRAS``.
"""
from __future__ import annotations

import datetime as dt

import structlog
from aiohttp import web
from sqlalchemy import Column, DateTime, Integer, String, Text, func, select

from bot.web.db import Base, Conversation, TurnLog, utcnow
from bot.web.privacy import mask
from bot.web.validation import SENDER_RE, BadInput, error, read_json
from bot.web.widget import HISTORY_EXTRAS, RASA_ERRORS, widget_sender

logger = structlog.get_logger()

SCORES = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
COMMENT_MAX = 500  # characters
HUMAN_STATUSES = ("queued", "taken")  # a conversation still waiting for or talking to a human is not rated yet


class SessionRating(Base):
    __tablename__ = "web_session_ratings"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    agent = Column(String(64), nullable=False, default="")  # display name of the last agent who wrote
    score = Column(Integer)  # 1..5; None: the user chose 暂不评价
    comment = Column(Text, nullable=False, default="")
    upto_turn = Column(Integer, nullable=False)  # web_turns.id of the last agent message this rating covers
    created_at = Column(DateTime, nullable=False, default=utcnow)


def due_turn(s, sender: str, status: str) -> int | None:
    """The last agent turn of a finished human session that has no rating yet, or None."""
    if status in HUMAN_STATUSES:
        return None
    last_agent = s.execute(select(func.max(TurnLog.id)).where(TurnLog.sender_id == sender,
                                                             TurnLog.direction == "agent")).scalar()
    if not last_agent:
        return None
    rated = s.execute(select(func.max(SessionRating.upto_turn)).where(SessionRating.sender_id == sender)).scalar()
    return last_agent if (rated or 0) < last_agent else None


def history_facts(s, sender: str, status: str) -> dict:
    return {"rating_due": due_turn(s, sender, status) is not None}


def _agent_of(tracker: dict) -> str:
    for e in reversed(tracker.get("events") or []):
        meta = e.get("metadata") if isinstance(e, dict) and isinstance(e.get("metadata"), dict) else {}
        if e.get("event") == "bot" and meta.get("agent"):
            return str(meta["agent"])[:64]
    return ""


async def api_rate(request: web.Request) -> web.Response:
    try:
        body = await read_json(request, 4096)
        score = body.get("score")
        if score is not None and (not isinstance(score, int) or isinstance(score, bool) or score not in SCORES):
            raise BadInput(400, "score 必须是 1–5 的整数，或 null（暂不评价）")
        comment = body.get("comment", "")
        if not isinstance(comment, str):
            raise BadInput(400, "comment 必须是字符串")
        comment = comment.strip()
        if len(comment) > COMMENT_MAX:
            raise BadInput(413, f"评价内容过长：上限 {COMMENT_MAX} 字")
    except BadInput as e:
        return error(e.status, e.message)
    sender = await widget_sender(request)
    if sender is None:
        return error(401, "还没有会话：请先打开 /api/session")
    app = request.app
    verdict = await app["ratelimit"].sender(sender)
    if not verdict.allowed:
        return error(429, "提交太频繁，请稍后再试", retry_after=round(verdict.retry_after, 1))
    try:
        agent = _agent_of(await app["rasa"].tracker(sender))
    except RASA_ERRORS:
        agent = ""  # the rating matters more than the name on it

    def write(s):
        conv = s.get(Conversation, sender)
        turn = due_turn(s, sender, conv.status if conv else "bot")
        if turn is None:
            return False
        s.add(SessionRating(sender_id=sender, agent=agent, score=score, comment=comment if score else "",
                            upto_turn=turn))
        return True

    if not await app["db"].run(write):
        return error(409, "没有需要评价的人工服务")
    logger.info("rating.saved", sender=sender, score=score, agent=agent)
    return web.json_response({"ok": True, "thanks": "感谢您的评价！" if score else "好的，不评价也没关系。"}, status=201)


def _row(r: SessionRating) -> dict:
    return {"sender_id": r.sender_id, "agent": r.agent, "score": r.score, "label": SCORES.get(r.score, "未评价"),
            "comment": mask(r.comment), "created_at": r.created_at}


def recent_ratings(s, limit: int = 50, since: dt.datetime | None = None) -> list[dict]:
    query = select(SessionRating).where(SessionRating.score.is_not(None))
    if since is not None:
        query = query.where(SessionRating.created_at >= since)
    return [_row(r) for r in s.execute(query.order_by(SessionRating.id.desc()).limit(limit)).scalars()]


async def api_staff_ratings(request: web.Request) -> web.Response:
    sender = request.match_info["sender"]
    if not SENDER_RE.match(sender):
        raise BadInput(400, "会话编号格式不正确")

    def read(s):
        rows = s.execute(select(SessionRating).where(SessionRating.sender_id == sender)
                         .order_by(SessionRating.id.desc()).limit(20)).scalars().all()
        return [_row(r) for r in rows]

    rows = await request.app["db"].run(read)
    for r in rows:
        r["created_at"] = r["created_at"].replace(tzinfo=dt.timezone.utc).isoformat()
    return web.json_response({"ratings": rows})


def setup(app: web.Application) -> None:
    Base.metadata.create_all(app["db"].engine, tables=[SessionRating.__table__])
    app.router.add_post("/api/rating", api_rate)
    app.router.add_get("/staff/api/conversations/{sender}/ratings", api_staff_ratings)
    app.setdefault(HISTORY_EXTRAS, []).append(history_facts)
