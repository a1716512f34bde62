"""The H5 chat widget for entrepreneurs: the page at ``/``, its session and its history.

Routes
- ``GET /``              the widget page; ``/?t=<token>`` ("扫码直达") binds the visitor's session to the sender id
                         in a signed token (bot/web/links.py) and redirects to ``/``; ``?embed=1`` inside the iframe
                         that /embed.js opens.
- ``GET /api/session``   the widget's sender id (created on first use, kept in the session cookie) and a signed
                         token for the same sender: an embedded widget on another site gets no cookie (SameSite),
                         so it keeps the token in its own storage and sends it back as ``X-Widget-Token``.
- ``GET /api/history``   the conversation from Rasa's tracker, in the REST format plus ``role`` and ``timestamp``.
                         ``?since=<timestamp>&mark=<n>`` returns only newer messages; ``mark`` (from the previous
                         answer) lets the front skip the tracker entirely when its turn log has nothing new, so the
                         widget can poll every few seconds during a handoff at the cost of one indexed query.
- ``POST /api/session/new``  "新对话": a new sender id for this visitor (the old conversation stays in the tracker
                         and the staff console); answers like /api/session.
- ``GET /embed.js``      the embeddable floating chat button (see the comment at the top of static/embed.js).

Other modules add facts to the history answer through ``app[HISTORY_EXTRAS]``: functions ``(session, sender,
status) -> dict`` run in the same database transaction as the turn-log mark (an agent typing, whether anyone is on
duty, a rating due after a human session, a message left), so the widget learns them with the poll it makes anyway.

The widget posts its turns to ``POST /api/messages`` (bot/web/api.py) with its sender and channel "widget".
"""
from __future__ import annotations

import math
import re
import secrets

import aiohttp
import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy import func, select

from bot.web.conversation import UNAVAILABLE
from bot.web.db import Conversation, TurnLog
from bot.web.links import sign_sender, verify_sender_token
from bot.web.rasa_client import RasaUnavailable
from bot.web.templating import STATIC_DIR, setup_templates, static_url
from bot.web.validation import SENDER_RE, BadInput, error, read_json

routes = web.RouteTableDef()

SESSION_KEY = "widget_sender"
TOKEN_HEADER = "X-Widget-Token"
TOKEN_TTL = 30 * 24 * 3600  # as long as the session cookie lives
HISTORY_LIMIT = 200  # messages in a full history answer (the newest)
# Rasa down (after the client's retries), or answering with an error status (e.g. a wrong token)
RASA_ERRORS = (RasaUnavailable, aiohttp.ClientError)
PAYLOAD_RE = re.compile(r"^/[A-Za-z_][\w.\-]*(\{.*\})?$", re.S)
CHOSEN_OPTION = "（已选择快捷选项）"

WIDGET_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
              "base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors *")


def security_headers(csp: str) -> dict[str, str]:
    return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store"}


# ---------------------------------------------------------------------------------------------- session


def new_sender() -> str:
    return "w-" + secrets.token_urlsafe(12)


async def widget_sender(request: web.Request, create: bool = False) -> str | None:
    """The sender id of this visitor: from the session cookie, else from a valid ``X-Widget-Token``, else new."""
    session = await get_session(request)
    sender = session.get(SESSION_KEY)
    if isinstance(sender, str) and SENDER_RE.match(sender):
        return sender
    token = request.headers.get(TOKEN_HEADER)
    if token:
        sender = verify_sender_token(request.app["settings"].secret_key, token)
        if sender:
            session[SESSION_KEY] = sender
            return sender
    if create:
        sender = new_sender()
        session[SESSION_KEY] = sender
        return sender
    return None


@routes.get("/api/session")
async def api_session(request: web.Request) -> web.Response:
    sender = await widget_sender(request, create=True)
    token = sign_sender(request.app["settings"].secret_key, sender, TOKEN_TTL)
    return web.json_response({"sender_id": sender, "token": token, "channel": "widget"},
                             headers={"Cache-Control": "no-store"})


@routes.post("/api/session/new")
async def api_new_session(request: web.Request) -> web.Response:
    """Start a new conversation: JSON only, so another site cannot post it from a form (no CORS here)."""
    try:
        await read_json(request, 1024)
    except BadInput as e:
        return error(e.status, e.message)
    sender = new_sender()
    session = await get_session(request)
    session[SESSION_KEY] = sender
    token = sign_sender(request.app["settings"].secret_key, sender, TOKEN_TTL)
    return web.json_response({"sender_id": sender, "token": token, "channel": "widget"},
                             headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------------------------------------- history


def _buttons(value) -> list[dict]:
    out = []
    for b in value or []:
        if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str):
            out.append({"title": b["title"], "payload": b["payload"]})
    return out


def display_user_text(text: str, titles: dict[str, str]) -> str:
    """What the user saw themselves send: a quick reply's title, never its payload."""
    if text in titles:
        return titles[text]
    if PAYLOAD_RE.match(text.strip()):
        return CHOSEN_OPTION
    return text


def tracker_messages(tracker: dict, sender: str) -> list[dict]:
    """User and bot messages of a Rasa tracker in the REST format, each with ``role`` and ``timestamp``.

    role: "user", "bot" or "agent" (a staff member's reply; ``agent`` names them).  Bot messages put into the
    conversation from outside Rasa carry ``source`` (e.g. "system" for a hand-back notice, "registration").
    """
    titles: dict[str, str] = {}
    out: list[dict] = []
    for e in tracker.get("events") or []:
        if not isinstance(e, dict):
            continue
        kind = e.get("event")
        ts = e.get("timestamp")
        ts = float(ts) if isinstance(ts, (int, float)) and math.isfinite(ts) else 0.0
        if kind == "user":
            text = e.get("text") if isinstance(e.get("text"), str) else ""
            if not text:
                continue
            out.append({"role": "user", "text": display_user_text(text, titles), "timestamp": ts})
        elif kind == "bot":
            data = e.get("data") if isinstance(e.get("data"), dict) else {}
            meta = e.get("metadata") if isinstance(e.get("metadata"), dict) else {}
            text = e.get("text") if isinstance(e.get("text"), str) else ""
            buttons = _buttons(data.get("buttons") or data.get("quick_replies"))
            custom = data.get("custom") if isinstance(data.get("custom"), dict) else {}
            if not text and not custom and not buttons:
                continue
            for b in buttons:
                titles[b["payload"]] = b["title"]
            msg = {"role": "agent" if meta.get("agent") else "bot", "recipient_id": sender, "text": text,
                   "buttons": buttons, "custom": custom, "timestamp": ts}
            if meta.get("agent"):
                msg["agent"] = str(meta["agent"])
            if meta.get("source"):
                msg["source"] = str(meta["source"])
            out.append(msg)
    return out


HISTORY_EXTRAS = web.AppKey("widget_history_extras", list)  # [fn(session, sender, status) -> dict]


def _conversation_state(sender: str, extras=()):
    def read(s):
        mark = s.execute(select(func.max(TurnLog.id)).where(TurnLog.sender_id == sender)).scalar() or 0
        conv = s.get(Conversation, sender)
        status = conv.status if conv else "bot"
        facts: dict = {}
        for extra in extras:
            facts.update(extra(s, sender, status))
        return mark, status, facts

    return read


def _number(value: str | None, kind, name: str):
    if value is None or value == "":
        return None
    try:
        n = kind(value)
    except ValueError:
        raise ValueError(f"{name} 必须是数字") from None
    if not math.isfinite(n) or n < 0:
        raise ValueError(f"{name} 必须是非负数")
    return n


@routes.get("/api/history")
async def api_history(request: web.Request) -> web.Response:
    try:
        since = _number(request.query.get("since"), float, "since")
        mark = _number(request.query.get("mark"), int, "mark")
    except ValueError as e:
        return error(400, str(e))
    sender = await widget_sender(request)
    if sender is None:
        return error(401, "还没有会话：请先打开 /api/session")
    app = request.app
    db_mark, status, facts = await app["db"].run(_conversation_state(sender, app.get(HISTORY_EXTRAS, ())))
    base = {"sender_id": sender, "mark": db_mark, "status": status, **facts}
    if since is not None and mark is not None and db_mark <= mark:
        # nothing logged for this sender since the last answer: no need to ask Rasa
        return web.json_response({**base, "messages": [], "last_timestamp": since, "paused": None},
                                 headers={"Cache-Control": "no-store"})
    try:
        tracker = await app["rasa"].tracker(sender)
    except RASA_ERRORS:
        return error(503, UNAVAILABLE)
    messages = tracker_messages(tracker, sender)
    truncated = False
    if since is not None:
        messages = [m for m in messages if m["timestamp"] > since]
    elif len(messages) > HISTORY_LIMIT:
        messages, truncated = messages[-HISTORY_LIMIT:], True
    last = max([m["timestamp"] for m in messages] + [since or 0.0]) or None
    return web.json_response({**base, "messages": messages, "last_timestamp": last, "truncated": truncated,
                              "paused": bool(tracker.get("paused"))}, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------------------------------------- page


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    embed = request.query.get("embed") == "1"
    notice = ""
    token = request.query.get("t")
    if token is not None:
        sender = verify_sender_token(request.app["settings"].secret_key, token)
        if sender:
            session = await get_session(request)
            session[SESSION_KEY] = sender
            # drop the token from the address bar (and from any later Referer)
            raise web.HTTPSeeOther("/?embed=1" if embed else "/", headers={"Cache-Control": "no-store",
                                                                           "Referrer-Policy": "no-referrer"})
        notice = "这个链接已过期或无效，未能打开对应的对话；您可以在这里继续咨询。如需找回原来的对话，请重新获取链接或联系工作人员。"
    app = request.app
    context = {
        "embed": embed,
        "notice": notice,
        "css_url": static_url(app, "widget.css"),
        "js_urls": [static_url(app, name) for name in ("widget-render.js", "widget-messages.js", "widget-forms.js",
                                                          "widget.js")],
    }
    response = aiohttp_jinja2.render_template("widget.html", request, context)
    response.headers.update(security_headers(WIDGET_CSP))
    return response


@routes.get("/embed.js")
async def embed_js(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "embed.js", headers={
        "Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "public, max-age=3600",
        "X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"})


def setup(app: web.Application) -> None:
    setup_templates(app)
    app.setdefault(HISTORY_EXTRAS, [])
    app.add_routes(routes)
