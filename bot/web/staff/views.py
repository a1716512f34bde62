"""Pages and actions of the staff console: the queue, conversations (live and past), take over / reply / hand
back, feedback on bot answers, and the unanswered-questions view for knowledge maintainers.

Lists, search results and analytics mask phone, ID-card and credit-code numbers (privacy.mask); the page of one
conversation shows it as the user wrote it, since the agent handling it may need to call back.
"""
from __future__ import annotations

import datetime as dt
import math
import time
from collections import OrderedDict

import structlog
from aiohttp import web
from sqlalchemy import func, or_, select

from bot.web import handoff
from bot.web.db import Conversation, Feedback, TurnLog, utcnow
from bot.web.delivery import deliver
from bot.web.privacy import mask
from bot.web.staff.auth import Staff, csrf_token, flash, pop_flashes, render_page
from bot.web.templating import static_url
from bot.web.validation import SENDER_RE, BadInput, clean_text
from bot.web.widget import RASA_ERRORS, tracker_messages

logger = structlog.get_logger()

PAGE_SIZE = 50
LIVE_MINUTES = 15  # a conversation with a message this recent counts as live
SEARCH_MAX = 100  # characters of a search query
COMMENT_MAX = 1000
STATUS_LABELS = {"bot": "智能助手", "queued": "等待人工", "taken": "人工接管"}
CHANNEL_LABELS = {"widget": "网页", "wechat": "微信", "api": "接口", "registration": "登记推送"}
TAKEOVER_GREETING = "您好，我是合规通热线工作人员{name}，现在由我为您解答，请直接在这里留言。"
HANDBACK_NOTICE = "人工服务已结束，接下来由智能助手合规通继续为您解答。如需人工帮助，可随时发送“转人工”。"
UNANSWERED_PERIODS = {7: "近 7 天", 30: "近 30 天", 90: "近 90 天", 365: "近一年"}


async def context(request: web.Request, nav: str, **extra) -> dict:
    return {"staff": request.get("staff"), "csrf": await csrf_token(request), "flashes": await pop_flashes(request),
            "nav": nav, "static": {"css": static_url(request.app, "staff.css"), "js": static_url(request.app, "staff.js")},
            "status_labels": STATUS_LABELS, "channel_labels": CHANNEL_LABELS, **extra}


async def error_page(request: web.Request, status: int, title: str, message: str, back: str = "") -> web.Response:
    return render_page(request, "staff/error.html",
                       await context(request, "", title=title, message=message, back=back), status=status)


def _sender(request: web.Request) -> str:
    sender = request.match_info.get("sender", "")
    if not SENDER_RE.match(sender):
        raise BadInput(400, "会话编号格式不正确")
    return sender


def _conv_url(sender: str) -> str:
    return f"/staff/conversations/{sender}"


def _int(value: str | None, default: int, lo: int, hi: int) -> int:
    try:
        n = int(value) if value not in (None, "") else default
    except ValueError:
        return default
    return max(lo, min(hi, n))


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def _form(request: web.Request) -> dict[str, str]:
    try:
        form = await request.post()
    except (ValueError, web.HTTPRequestEntityTooLarge) as e:
        raise BadInput(413 if isinstance(e, web.HTTPRequestEntityTooLarge) else 400, "表单内容无效或过大") from None
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _wait_text(since: dt.datetime | None) -> str:
    if since is None:
        return ""
    minutes = int((utcnow() - since).total_seconds() // 60)
    if minutes < 1:
        return "刚刚"
    if minutes < 60:
        return f"{minutes} 分钟"
    return f"{minutes // 60} 小时 {minutes % 60} 分钟"


def _last_user_texts(s, senders: list[str]) -> dict[str, str]:
    if not senders:
        return {}
    latest = (select(func.max(TurnLog.id)).where(TurnLog.sender_id.in_(senders), TurnLog.direction == "user")
              .group_by(TurnLog.sender_id))
    rows = s.execute(select(TurnLog.sender_id, TurnLog.text).where(TurnLog.id.in_(latest))).all()
    return {sender: text for sender, text in rows}


def _summaries(s, convs: list[Conversation]) -> list[dict]:
    texts = _last_user_texts(s, [c.sender_id for c in convs])
    live_after = utcnow() - dt.timedelta(minutes=LIVE_MINUTES)
    return [{"sender_id": c.sender_id, "sender_masked": mask(c.sender_id), "channel": c.channel, "status": c.status,
             "assigned_to": c.assigned_to or "", "last_seen_at": c.last_seen_at, "live": c.last_seen_at >= live_after,
             "waiting": _wait_text(c.handoff_requested_at) if c.status == "queued" else "",
             "last_text": mask(texts.get(c.sender_id, ""))} for c in convs]


# ---------------------------------------------------------------------------------------------- dashboard / queue


def _queue(limit: int = 100):
    def read(s):
        convs = s.execute(select(Conversation).where(Conversation.status == "queued")
                          .order_by(Conversation.handoff_requested_at.is_(None), Conversation.handoff_requested_at.asc(),
                                    Conversation.last_seen_at.asc())
                          .limit(limit)).scalars().all()
        total = s.execute(select(func.count()).select_from(Conversation).where(Conversation.status == "queued")).scalar()
        return _summaries(s, convs), total or 0

    return read


async def dashboard(request: web.Request) -> web.Response:
    staff: Staff = request["staff"]

    def read(s):
        queue, queued = _queue()(s)
        mine = s.execute(select(Conversation).where(Conversation.status == "taken",
                                                    Conversation.assigned_to == staff.username)
                         .order_by(Conversation.last_seen_at.desc()).limit(50)).scalars().all()
        live_after = utcnow() - dt.timedelta(minutes=LIVE_MINUTES)
        live = s.execute(select(func.count()).select_from(Conversation)
                         .where(Conversation.last_seen_at >= live_after)).scalar() or 0
        taken = s.execute(select(func.count()).select_from(Conversation)
                          .where(Conversation.status == "taken")).scalar() or 0
        week = utcnow() - dt.timedelta(days=7)
        unanswered = s.execute(select(func.count()).select_from(TurnLog).where(
            TurnLog.direction == "user", TurnLog.unanswered.is_(True), TurnLog.at >= week)).scalar() or 0
        return {"queue": queue, "mine": _summaries(s, mine),
                "counts": {"queued": queued, "taken": taken, "live": live, "unanswered": unanswered}}

    data = await request.app["db"].run(read)
    return render_page(request, "staff/dashboard.html", await context(request, "dashboard", **data))


async def api_queue(request: web.Request) -> web.Response:
    items, total = await request.app["db"].run(_queue(20))
    for item in items:
        item["last_seen_at"] = item["last_seen_at"].replace(tzinfo=dt.timezone.utc).isoformat()
    return web.json_response({"queued": total, "items": items})


# ---------------------------------------------------------------------------------------------- conversation list


async def conversations(request: web.Request) -> web.Response:
    q = request.query.get("q", "").strip()[:SEARCH_MAX]
    status = request.query.get("status", "")
    if status not in ("", "live", *STATUS_LABELS):
        status = ""
    page = _int(request.query.get("page"), 1, 1, 10_000)

    def read(s):
        query = select(Conversation)
        if status == "live":
            query = query.where(Conversation.last_seen_at >= utcnow() - dt.timedelta(minutes=LIVE_MINUTES))
        elif status:
            query = query.where(Conversation.status == status)
        matches: dict[str, str] = {}
        if q:
            pattern = _like(q)
            hits = select(TurnLog.sender_id).where(TurnLog.text.like(pattern, escape="\\"))
            query = query.where(or_(Conversation.sender_id.in_(hits), Conversation.sender_id.like(pattern, escape="\\")))
        total = s.execute(select(func.count()).select_from(query.subquery())).scalar() or 0
        convs = s.execute(query.order_by(Conversation.last_seen_at.desc()).offset((page - 1) * PAGE_SIZE)
                          .limit(PAGE_SIZE)).scalars().all()
        rows = _summaries(s, convs)
        if q and convs:
            latest = (select(func.max(TurnLog.id)).where(TurnLog.sender_id.in_([c.sender_id for c in convs]),
                                                         TurnLog.text.like(_like(q), escape="\\"))
                      .group_by(TurnLog.sender_id))
            matches = dict(s.execute(select(TurnLog.sender_id, TurnLog.text).where(TurnLog.id.in_(latest))).all())
            for r in rows:
                r["match"] = _snippet(mask(matches.get(r["sender_id"], "")), mask(q))
        return rows, total

    rows, total = await request.app["db"].run(read)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return render_page(request, "staff/conversations.html", await context(
        request, "conversations", rows=rows, total=total, q=q, status=status, page=page, pages=pages))


def _snippet(text: str, q: str, width: int = 40) -> str:
    if not text:
        return ""
    i = text.find(q) if q else -1
    if i < 0:
        return text[: width * 2] + ("…" if len(text) > width * 2 else "")
    start = max(0, i - width)
    return ("…" if start else "") + text[start: i + len(q) + width] + ("…" if i + len(q) + width < len(text) else "")


# ---------------------------------------------------------------------------------------------- one conversation


def _conversation_meta(sender: str):
    def read(s):
        conv = s.get(Conversation, sender)
        mark = s.execute(select(func.max(TurnLog.id)).where(TurnLog.sender_id == sender)).scalar() or 0
        feedback = s.execute(select(Feedback).where(Feedback.sender_id == sender)
                             .order_by(Feedback.created_at.desc())).scalars().all()
        turn_texts = {}
        ids = [f.turn_id for f in feedback if f.turn_id]
        if ids:
            turn_texts = dict(s.execute(select(TurnLog.id, TurnLog.text).where(TurnLog.id.in_(ids))).all())
        fb = [{"verdict": f.verdict, "comment": f.comment, "staff": f.staff, "created_at": f.created_at,
               "kb_ids": f.kb_ids or [], "turn_text": (turn_texts.get(f.turn_id) or "")[:60]} for f in feedback]
        info = None
        if conv is not None:
            info = {"channel": conv.channel, "status": conv.status, "assigned_to": conv.assigned_to or "",
                    "created_at": conv.created_at, "last_seen_at": conv.last_seen_at,
                    "handoff_requested_at": conv.handoff_requested_at}
        return info, mark, fb

    return read


async def conversation(request: web.Request) -> web.Response:
    sender = _sender(request)
    info, mark, feedback = await request.app["db"].run(_conversation_meta(sender))
    rasa_error = ""
    messages: list[dict] = []
    paused = None
    try:
        tracker = await request.app["rasa"].tracker(sender)
        messages = tracker_messages(tracker, sender)
        paused = bool(tracker.get("paused"))
    except RASA_ERRORS:
        rasa_error = "暂时无法从智能助手读取这段对话的记录（Rasa 无响应），请稍后刷新。"
    if info is None and not messages and not rasa_error:
        return await error_page(request, 404, "没有这段对话", f"没有找到会话 {sender} 的记录。", back="/staff/conversations")
    return render_page(request, "staff/conversation.html", await context(
        request, "conversations", sender=sender, info=info or {"channel": "", "status": "bot", "assigned_to": "",
                                                             "created_at": None, "last_seen_at": None,
                                                             "handoff_requested_at": None},
        known=info is not None, messages=messages, paused=paused, mark=mark, feedback=feedback,
        rasa_error=rasa_error))


async def api_updates(request: web.Request) -> web.Response:
    """Cheap poll for the conversation page: has anything been logged since ``mark``?"""
    sender = _sender(request)
    try:
        mark = int(request.query.get("mark", "0"))
    except ValueError:
        return web.json_response({"error": "mark 必须是整数"}, status=400)

    def read(s):
        latest = s.execute(select(func.max(TurnLog.id)).where(TurnLog.sender_id == sender)).scalar() or 0
        conv = s.get(Conversation, sender)
        return latest, (conv.status if conv else "bot"), (conv.assigned_to if conv else None)

    latest, status, assigned = await request.app["db"].run(read)
    return web.json_response({"mark": latest, "changed": latest > mark, "status": status, "assigned_to": assigned})


async def _take_over(request: web.Request, sender: str, staff: Staff, greet: bool = True) -> None:
    app = request.app
    await app["rasa"].append_events(sender, [{"event": "pause", "timestamp": time.time()}])
    await app["db"].run(handoff.take(sender, staff.username))
    logger.info("staff.take_over", sender=sender, staff=staff.username)
    if greet:
        await deliver(app, sender, TAKEOVER_GREETING.format(name=staff.name), agent=staff.name)


async def take(request: web.Request) -> web.Response:
    sender = _sender(request)
    staff: Staff = request["staff"]
    try:
        await _take_over(request, sender, staff)
    except RASA_ERRORS:
        await flash(request, "接管失败：智能助手（Rasa）暂时无法连接，请稍后再试。", "error")
    else:
        await flash(request, "已接管这段对话：智能助手已暂停，用户会收到您已接入的提示。")
    raise web.HTTPSeeOther(_conv_url(sender))


async def reply(request: web.Request) -> web.Response:
    sender = _sender(request)
    staff: Staff = request["staff"]
    form = await _form(request)
    text = clean_text(form.get("text"), request.app["settings"].max_text_bytes, "回复内容")

    def status(s):
        conv = s.get(Conversation, sender)
        return conv.status if conv else None

    try:
        if await request.app["db"].run(status) != "taken":
            await _take_over(request, sender, staff, greet=False)  # replying to a bot conversation takes it over
        await deliver(request.app, sender, text, agent=staff.name)
    except RASA_ERRORS:
        await flash(request, "发送失败：智能助手（Rasa）暂时无法连接，回复没有送达，请稍后重试。", "error")
    else:
        await flash(request, "回复已发送。")
    raise web.HTTPSeeOther(_conv_url(sender) + "#end")


async def handback(request: web.Request) -> web.Response:
    sender = _sender(request)
    staff: Staff = request["staff"]
    try:
        # resume and a clean turn: the user's next question is answered as in a fresh conversation
        await handoff.back_to_bot(request.app, sender, "staff")
        await deliver(request.app, sender, HANDBACK_NOTICE, direction="system")
    except RASA_ERRORS:
        await flash(request, "交还失败：智能助手（Rasa）暂时无法连接，请稍后再试。", "error")
    else:
        logger.info("staff.hand_back", sender=sender, staff=staff.username)
        await flash(request, "已交还智能助手。")
    raise web.HTTPSeeOther(_conv_url(sender))


async def feedback(request: web.Request) -> web.Response:
    sender = _sender(request)
    staff: Staff = request["staff"]
    form = await _form(request)
    verdict = form.get("verdict", "")
    if verdict not in ("helpful", "wrong"):
        raise BadInput(400, "请选择“有帮助”或“有误”")
    comment = form.get("comment", "").strip()
    if len(comment) > COMMENT_MAX:
        raise BadInput(413, f"说明过长：上限 {COMMENT_MAX} 字")
    try:
        ts = float(form.get("ts", ""))
        if not math.isfinite(ts):
            raise ValueError
    except ValueError:
        raise BadInput(400, "没有指明评价哪条回答") from None
    try:
        tracker = await request.app["rasa"].tracker(sender)
    except RASA_ERRORS:
        await flash(request, "评价失败：智能助手（Rasa）暂时无法连接，请稍后再试。", "error")
        raise web.HTTPSeeOther(_conv_url(sender)) from None
    target = next((m for m in tracker_messages(tracker, sender)
                   if m["role"] == "bot" and abs(m["timestamp"] - ts) < 1e-6), None)
    if target is None:
        raise BadInput(404, "没有找到要评价的这条回答")
    kb_ids = target["custom"].get("kb_ids") if isinstance(target["custom"].get("kb_ids"), list) else []
    when = dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None)

    def write(s):
        candidates = s.execute(select(TurnLog).where(TurnLog.sender_id == sender, TurnLog.direction == "bot",
                                                     TurnLog.text == target["text"])).scalars().all()
        turn = min(candidates, key=lambda t: abs((t.at - when).total_seconds()), default=None)
        s.add(Feedback(sender_id=sender, turn_id=turn.id if turn else None, verdict=verdict, comment=comment,
                       staff=staff.username, kb_ids=kb_ids))

    await request.app["db"].run(write)
    await flash(request, "已记录评价，谢谢！" if verdict == "helpful" else "已记录“回答有误”，知识维护人员会跟进。")
    raise web.HTTPSeeOther(_conv_url(sender))


# ---------------------------------------------------------------------------------------------- unanswered


async def unanswered(request: web.Request) -> web.Response:
    days = _int(request.query.get("days"), 30, 1, 3650)
    if days not in UNANSWERED_PERIODS:
        days = 30

    def read(s):
        since = utcnow() - dt.timedelta(days=days)
        turns = s.execute(select(TurnLog.sender_id, TurnLog.text, TurnLog.at).where(
            TurnLog.direction == "user", TurnLog.unanswered.is_(True), TurnLog.at >= since)
            .order_by(TurnLog.at.desc()).limit(20_000)).all()
        groups: OrderedDict[str, dict] = OrderedDict()
        for sender, text, at in turns:
            shown = mask(" ".join((text or "").split()))
            g = groups.setdefault(shown.lower(), {"text": shown, "count": 0, "last_at": at, "senders": []})
            g["count"] += 1
            if sender not in g["senders"] and len(g["senders"]) < 5:
                g["senders"].append(sender)
        rows = sorted(groups.values(), key=lambda g: (-g["count"], -g["last_at"].timestamp()))
        wrong = s.execute(select(Feedback).where(Feedback.verdict == "wrong", Feedback.created_at >= since)
                          .order_by(Feedback.created_at.desc()).limit(100)).scalars().all()
        wrong_rows = [{"sender_id": f.sender_id, "comment": mask(f.comment), "kb_ids": f.kb_ids or [],
                       "staff": f.staff, "created_at": f.created_at} for f in wrong]
        return rows, len(turns), wrong_rows

    rows, total, wrong = await request.app["db"].run(read)
    return render_page(request, "staff/unanswered.html", await context(
        request, "unanswered", rows=rows, total=total, wrong=wrong, days=days, periods=UNANSWERED_PERIODS))


async def staff_root(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/staff/")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/staff", staff_root)
    r.add_get("/staff/", dashboard)
    r.add_get("/staff/api/queue", api_queue)
    r.add_get("/staff/conversations", conversations)
    r.add_get("/staff/conversations/{sender}", conversation)
    r.add_get("/staff/api/conversations/{sender}/updates", api_updates)
    r.add_post("/staff/conversations/{sender}/take", take)
    r.add_post("/staff/conversations/{sender}/reply", reply)
    r.add_post("/staff/conversations/{sender}/handback", handback)
    r.add_post("/staff/conversations/{sender}/feedback", feedback)
    r.add_get("/staff/unanswered", unanswered)
