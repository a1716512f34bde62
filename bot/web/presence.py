"""Who is on duty and who is typing: the hotline's presence, shared by every replica through the database.

- Every open staff-console page sends a heartbeat (``POST /staff/api/presence``, every 30 s, staff.js). A staff
  member seen in the last ``ON_DUTY_SECONDS`` is on duty. When nobody is, a user waiting for a human is offered the
  leave-a-message form (bot/web/messages_left.py) instead of waiting for nobody.
- While an agent types a reply the console posts ``/staff/api/conversations/{sender}/typing`` (at most every few
  seconds); the widget's history poll reports ``agent_typing`` (the agent's display name) for ``TYPING_SECONDS``
  after the last one, so the user sees "王芳正在输入" as in any customer-service chat.

Both facts reach the widget inside the history answer it polls anyway (bot/web/widget.py ``HISTORY_EXTRAS``).
"""
from __future__ import annotations

import datetime as dt

from aiohttp import web
from sqlalchemy import Column, DateTime, String, func, select
from sqlalchemy.exc import IntegrityError

from bot.web.db import Base, utcnow
from bot.web.validation import SENDER_RE, BadInput, read_json
from bot.web.widget import HISTORY_EXTRAS

ON_DUTY_SECONDS = 120  # four missed heartbeats: the console was closed (or the computer slept)
TYPING_SECONDS = 6


class StaffPresence(Base):
    __tablename__ = "web_staff_presence"
    username = Column(String(64), primary_key=True)
    display_name = Column(String(64), nullable=False, default="")
    seen_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class AgentTyping(Base):
    __tablename__ = "web_agent_typing"
    sender_id = Column(String(128), primary_key=True)
    agent = Column(String(64), nullable=False)  # display name, as the user sees it on the agent's messages
    until = Column(DateTime, nullable=False)


def on_duty(s, now: dt.datetime | None = None) -> int:
    """How many staff members have a console open."""
    after = (now or utcnow()) - dt.timedelta(seconds=ON_DUTY_SECONDS)
    return s.execute(select(func.count()).select_from(StaffPresence).where(StaffPresence.seen_at >= after)).scalar() or 0


def typing_agent(s, sender: str, now: dt.datetime | None = None) -> str | None:
    row = s.get(AgentTyping, sender)
    return row.agent if row is not None and row.until > (now or utcnow()) else None


def history_facts(s, sender: str, status: str) -> dict:
    return {"on_duty": on_duty(s) > 0, "agent_typing": typing_agent(s, sender) if status == "taken" else None}


async def _upsert(request: web.Request, write) -> None:
    try:
        await request.app["db"].run(write)
    except IntegrityError:  # another replica inserted the same row a moment ago: its write says the same
        pass


async def api_presence(request: web.Request) -> web.Response:
    staff = request["staff"]

    def write(s):
        row = s.get(StaffPresence, staff.username)
        if row is None:
            s.add(StaffPresence(username=staff.username, display_name=staff.name, seen_at=utcnow()))
        else:
            row.display_name, row.seen_at = staff.name, utcnow()

    await _upsert(request, write)
    return web.json_response({"ok": True, "on_duty_seconds": ON_DUTY_SECONDS})


async def api_typing(request: web.Request) -> web.Response:
    staff = request["staff"]
    sender = request.match_info["sender"]
    if not SENDER_RE.match(sender):
        raise BadInput(400, "会话编号格式不正确")
    body = await read_json(request, 256)
    typing = body.get("typing")
    if not isinstance(typing, bool):
        raise BadInput(400, "typing 必须是 true 或 false")

    def write(s):
        row = s.get(AgentTyping, sender)
        if not typing:
            if row is not None and row.agent == staff.name:
                s.delete(row)
            return
        until = utcnow() + dt.timedelta(seconds=TYPING_SECONDS)
        if row is None:
            s.add(AgentTyping(sender_id=sender, agent=staff.name, until=until))
        else:
            row.agent, row.until = staff.name, until

    await _upsert(request, write)
    return web.json_response({"ok": True})


def setup(app: web.Application) -> None:
    Base.metadata.create_all(app["db"].engine, tables=[StaffPresence.__table__, AgentTyping.__table__])
    app.router.add_post("/staff/api/presence", api_presence)
    app.router.add_post("/staff/api/conversations/{sender}/typing", api_typing)
    app.setdefault(HISTORY_EXTRAS, []).append(history_facts)
