"""Leave a message when no agent is on duty: a phone number and the question, for a call back.

The widget offers the form to a user waiting for a human while nobody has the staff console open
(bot/web/presence.py); the history answer then carries ``left_message`` (the masked number and when) so the form
is not offered twice.

Staff see the messages on ``/staff/messages`` ("留言与评价"), numbers masked like every staff list. The full number
is shown only on request, one message at a time (``POST /staff/api/messages-left/{id}/phone``), and who asked and
when is recorded with the message and in the log: the agent who calls back needs it, a list on a screen does not.

Routes
- ``POST /api/messages-left``  {"phone", "text", "name"?} from the widget (its own conversation) → 201
- ``GET  /staff/messages``     open messages first, then handled ones; recent satisfaction ratings
- ``POST /staff/api/messages-left/{id}/phone``   the full number (recorded)
- ``POST /staff/messages-left/{id}/done``        mark as handled
- ``GET  /staff/api/messages-left/summary``      {"open": n} for the console's navigation badge
"""
from __future__ import annotations

import datetime as dt
import re

import structlog
from aiohttp import web
from sqlalchemy import Column, DateTime, Integer, String, Text, func, select

from bot.web.db import Base, utcnow
from bot.web.feedback import recent_ratings
from bot.web.privacy import mask
from bot.web.staff.auth import flash, render_page
from bot.web.staff.views import context
from bot.web.validation import BadInput, clean_text, error, read_json
from bot.web.widget import HISTORY_EXTRAS, widget_sender

logger = structlog.get_logger()

TEXT_MAX = 500  # characters
NAME_MAX = 20
OPEN_PER_SENDER = 3  # open messages one conversation may leave
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


class LeftMessage(Base):
    __tablename__ = "web_left_messages"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    name = Column(String(32), nullable=False, default="")
    phone = Column(String(20), nullable=False)
    text = Column(Text, nullable=False)
    status = Column(String(8), nullable=False, default="open")  # open | done
    created_at = Column(DateTime, nullable=False, default=utcnow)
    handled_by = Column(String(64))
    handled_at = Column(DateTime)
    revealed_by = Column(String(64))  # the last staff member who asked for the full number
    revealed_at = Column(DateTime)


def clean_phone(value) -> str:
    """A mainland mobile number (13812345678) or a landline with its area code (0771-1234567)."""
    if not isinstance(value, str):
        raise BadInput(400, "请填写手机号或带区号的固定电话")
    phone = re.sub(r"[\s()（）]", "", value)
    if phone.startswith("+86"):
        phone = phone[3:]
    if MOBILE.match(phone.replace("-", "")):
        return phone.replace("-", "")
    if LANDLINE.match(phone):
        return phone
    raise BadInput(400, "电话号码格式不对：请填写11位手机号，或带区号的固定电话（例如 0771-1234567）")


def mask_phone(phone: str) -> str:
    digits = phone.replace("-", "")
    if MOBILE.match(digits):
        return mask(digits)
    return digits[:4] + "*" * max(0, len(digits) - 8) + digits[-4:]


def history_facts(s, sender: str, status: str) -> dict:
    row = s.execute(select(LeftMessage).where(LeftMessage.sender_id == sender, LeftMessage.status == "open")
                    .order_by(LeftMessage.id.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return {"left_message": None}
    return {"left_message": {"phone": mask_phone(row.phone),
                             "at": row.created_at.replace(tzinfo=dt.timezone.utc).timestamp()}}


# ---------------------------------------------------------------------------------------------- the widget's door


async def api_leave_message(request: web.Request) -> web.Response:
    app = request.app
    try:
        body = await read_json(request, 8192)
        phone = clean_phone(body.get("phone"))
        text = clean_text(body.get("text"), TEXT_MAX * 4, "留言内容")
        if len(text) > TEXT_MAX:
            raise BadInput(413, f"留言内容过长：上限 {TEXT_MAX} 字")
        name = body.get("name") or ""
        if not isinstance(name, str) or len(name.strip()) > NAME_MAX:
            raise BadInput(400, f"称呼最多 {NAME_MAX} 个字")
        name = name.strip()
    except BadInput as e:
        return error(e.status, e.message)
    sender = await widget_sender(request)
    if sender is None:
        return error(401, "还没有会话：请先打开 /api/session")
    verdict = await app["ratelimit"].sender(sender)
    if not verdict.allowed:
        return error(429, "提交太频繁，请稍后再试", retry_after=round(verdict.retry_after, 1))

    def write(s):
        open_count = s.execute(select(func.count()).select_from(LeftMessage).where(
            LeftMessage.sender_id == sender, LeftMessage.status == "open")).scalar() or 0
        if open_count >= OPEN_PER_SENDER:
            return None
        row = LeftMessage(sender_id=sender, name=name, phone=phone, text=text)
        s.add(row)
        s.flush()
        return row.id

    message_id = await app["db"].run(write)
    if message_id is None:
        return error(429, "您已经留过言，工作人员会尽快联系您；如有补充，请在对话里直接发送。")
    logger.info("message_left", sender=sender, id=message_id, phone=mask_phone(phone))
    return web.json_response({"ok": True, "id": message_id, "phone": mask_phone(phone)}, status=201)


# ---------------------------------------------------------------------------------------------- staff


def _staff_row(m: LeftMessage) -> dict:
    return {"id": m.id, "sender_id": m.sender_id, "name": mask(m.name), "phone": mask_phone(m.phone),
            "text": mask(m.text), "status": m.status, "created_at": m.created_at, "handled_by": m.handled_by or "",
            "handled_at": m.handled_at, "revealed_by": m.revealed_by or ""}


async def messages_page(request: web.Request) -> web.Response:
    def read(s):
        rows = s.execute(select(LeftMessage).order_by((LeftMessage.status == "open").desc(), LeftMessage.id.desc())
                         .limit(200)).scalars().all()
        return [_staff_row(m) for m in rows], recent_ratings(s, 50)

    rows, ratings = await request.app["db"].run(read)
    return render_page(request, "staff/messages.html", await context(
        request, "messages", rows=rows, open_count=sum(r["status"] == "open" for r in rows), ratings=ratings))


def _message_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise BadInput(400, "留言编号必须是数字") from None


async def api_phone(request: web.Request) -> web.Response:
    staff = request["staff"]
    message_id = _message_id(request)

    def reveal(s):
        row = s.get(LeftMessage, message_id)
        if row is None:
            return None
        row.revealed_by, row.revealed_at = staff.username, utcnow()
        return row.phone

    phone = await request.app["db"].run(reveal)
    if phone is None:
        return web.json_response({"error": "没有这条留言"}, status=404)
    logger.info("message_left.phone_shown", id=message_id, staff=staff.username)
    return web.json_response({"phone": phone})


async def mark_done(request: web.Request) -> web.Response:
    staff = request["staff"]
    message_id = _message_id(request)

    def write(s):
        row = s.get(LeftMessage, message_id)
        if row is None:
            return False
        row.status, row.handled_by, row.handled_at = "done", staff.username, utcnow()
        return True

    if await request.app["db"].run(write):
        await flash(request, "已标记为处理完毕。")
    else:
        await flash(request, "没有这条留言。", "error")
    raise web.HTTPSeeOther("/staff/messages")


async def api_summary(request: web.Request) -> web.Response:
    def read(s):
        return s.execute(select(func.count()).select_from(LeftMessage).where(LeftMessage.status == "open")).scalar()

    return web.json_response({"open": await request.app["db"].run(read) or 0})


def setup(app: web.Application) -> None:
    Base.metadata.create_all(app["db"].engine, tables=[LeftMessage.__table__])
    r = app.router
    r.add_post("/api/messages-left", api_leave_message)
    r.add_get("/staff/messages", messages_page)
    r.add_post("/staff/api/messages-left/{id}/phone", api_phone)
    r.add_post("/staff/messages-left/{id}/done", mark_done)
    r.add_get("/staff/api/messages-left/summary", api_summary)
    app.setdefault(HISTORY_EXTRAS, []).append(history_facts)
