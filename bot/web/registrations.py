"""New registrants door: ``POST /api/registrations`` from the business-registration system, and the QR code of a
registrant's conversation link at ``GET /api/registrations/{credit_code}/qr.svg``.

The registration system signs each request: ``X-Timestamp: <unix seconds>`` and ``X-Signature: sha256=<hex
HMAC-SHA256(secret, X-Timestamp value + "." + raw body)>``; a request more than 5 minutes off the server clock is
refused, and since the timestamp is signed a captured request cannot be replayed later with a fresh one.  The secret is
``REGISTRATION_HMAC_SECRET``.  Body (JSON)::

    {"company_name": "…", "credit_code": "18位统一社会信用代码", "industry": "餐饮", "region": "南宁市",
     "contact": "…", "registered_on": "2025-07-01"}

``contact`` and ``registered_on`` (成立日期; default today) are optional.  The registrant is stored once per credit
code; its conversation (sender ``reg-<credit code>``) receives two prompts composed by ``knowledge.onboarding``
for its industry and kind of business (个体工商户 / 公司 / 合伙 / 个人独资 / 合作社, from the credit code and the
name): a first push that fits one phone screen (the 3–5 things that matter most, each with its basis, and the first
annual report as it applies to this kind), with buttons into the conversation (the industry's compliance list, the
criminal risks tagged for it, the annual-report rules), then the first-30-days checklist of licences with their
articles quoted.  A repeat of the same credit code answers 200 with the same sender and delivers nothing again.  The answer carries the widget link ``{PUBLIC_URL}/?t=<signed token>``
and a QR code of it (SVG data URI), plus ``qr_url`` for the same code as an SVG file.

Environment: ``REGISTRATION_HMAC_SECRET`` (required), ``PUBLIC_URL`` (base of the links), ``WEB_SECRET_KEY``
(signs the links; set it, or links die with the process), ``REGISTRATION_LINK_TTL_DAYS`` (default 30),
``REGISTRATION_QR_REQUIRE_SIGNATURE`` (default 1: the QR route answers only at the signed ``qr_url``).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import io
import json
import time
import unicodedata
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import segno
import structlog
from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.web import credit_code as cc
from bot.web.db import Conversation, Registrant, TurnLog, utcnow
from bot.web.delivery import deliver
from bot.web.privacy import mask
from bot.web.ratelimit import client_address
from bot.web.validation import BadInput, TooLarge, error, parse_json, read_limited
from knowledge.onboarding import business_kind, match_industries

logger = structlog.get_logger()

MAX_BODY_BYTES = 16 * 1024
MAX_SKEW_SECONDS = 300
FIELD_LIMITS = {"company_name": (2, 100), "industry": (1, 64), "region": (1, 64), "contact": (0, 64)}
FIELD_NAMES = {"company_name": "企业名称", "credit_code": "统一社会信用代码", "industry": "行业", "region": "地区",
               "contact": "联系方式"}


# ---------------------------------------------------------------------------------------------- knowledge

_kb = None


async def get_kb(app: web.Application):
    """The knowledge base: ``app["kb"]`` when the app has one, else loaded once per process (about a second)."""
    global _kb
    if app.get("kb") is not None:
        return app["kb"]
    if _kb is None:
        from knowledge.kb import KnowledgeBase

        _kb = await asyncio.get_running_loop().run_in_executor(None, KnowledgeBase.from_files)
    return _kb


# ---------------------------------------------------------------------------------------------- prompts

PROMPT_DIRECTION = "prompt"  # TurnLog.direction and the bot event's metadata source of the registration prompts
FOLLOW_UP_INTENTS = {  # what the composition offers one tap away -> the assistant's intent and entity
    "compliance_list": ("browse_compliance", "industry"),
    "criminal_risks": ("ask_criminal_risk", "industry"),
    "annual_report": ("ask_compliance", "kb_id"),
}


def _button(follow_up) -> dict:
    intent, entity = FOLLOW_UP_INTENTS[follow_up.what]
    value = follow_up.industry if entity == "industry" else follow_up.record
    return {"title": follow_up.title, "payload": f"/{intent}" + json.dumps({entity: value}, ensure_ascii=False)}


def _cited(kb, quotes) -> list[dict]:
    return [kb.citation_dict_from(law, article, quote) for law, article, quote in quotes]


def compose_prompts(kb, company_name: str, industry: str, industries: list[str], code: str,
                    today: dt.date | None = None, registered_on: dt.date | None = None) -> list[dict]:
    """The registrant's prompts in delivery order, ``[{"text", "custom", "buttons"}]``: the one-screen first push,
    then the first-30-days checklist.  What they say is composed in ``knowledge.onboarding``; this only renders it
    for the conversation (custom card data, buttons into the assistant)."""
    from knowledge.onboarding import compose

    o = compose(kb, company_name, code, industry, industries, registered_on=registered_on, today=today)
    buttons = [_button(f) for f in o.follow_ups]
    common = {"registration": True, "kind": o.kind.key, "kind_label": o.kind.label, "kind_reason": o.kind.reason,
              "industries": o.industries}
    deadline = o.annual.deadline
    first = {"text": o.first_push_text(), "buttons": buttons, "custom": {
        "topic": "compliance", "title": "开业合规提醒", "kb_ids": o.first_push_records(),
        "citations": _cited(kb, o.first_push_quotes()),
        "data": {**common, "prompt": "first_push", "steps": [s.id for s in o.top],
                 "criminal_risks": [r.id for r in o.risks],
                 "deadline": deadline.isoformat() if deadline else None}}}
    checklist_text = o.checklist_text()
    checklist = {"text": checklist_text, "buttons": buttons, "custom": {
        "topic": "compliance", "title": checklist_text.splitlines()[0].strip("【】"), "kb_ids": o.checklist_records(),
        "citations": _cited(kb, o.checklist_quotes()),
        "sections": [line[1:] for line in checklist_text.splitlines() if line.startswith("▍")],
        "data": {**common, "prompt": "checklist", "checklist": [s.id for s in o.checklist],
                 "not_quoted": list(o.annual.rule.not_quoted) + [g.text for g in o.gaps]}}}
    return [first, checklist]


# ---------------------------------------------------------------------------------------------- links and QR


def link_ttl_seconds(app: web.Application) -> int:
    return app["settings"].registration_link_ttl_days * 86400


def widget_link(app: web.Application, sender: str) -> str:
    from bot.web.links import sign_sender  # written alongside the widget

    settings = app["settings"]
    token = sign_sender(settings.secret_key, sender, link_ttl_seconds(app))
    return f"{settings.public_url.rstrip('/')}/?t={quote(token, safe='-_.~')}"


def qr_requires_signature(app: web.Application) -> bool:
    """The QR route answers only the signed URL it handed out (``REGISTRATION_QR_REQUIRE_SIGNATURE``, on by default).

    Credit codes are public and the QR code opens the registrant's conversation, so an unsigned route would let
    anyone read it; ``REGISTRATION_QR_REQUIRE_SIGNATURE=0`` opens it for a registration system that cannot keep
    the signed ``qr_url``."""
    return app["settings"].registration_qr_require_signature


def _qr_mac(secret: str, code: str, expires: int) -> str:
    return hmac.new(secret.encode(), f"hegui/qr/v1|{code}|{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def qr_url(app: web.Application, code: str, now: float | None = None) -> str:
    settings = app["settings"]
    expires = int((now or time.time()) + link_ttl_seconds(app))
    return (f"{settings.public_url.rstrip('/')}/api/registrations/{code}/qr.svg"
            f"?e={expires}&s={_qr_mac(settings.secret_key, code, expires)}")


def qr_url_ok(app: web.Application, code: str, query) -> bool:
    try:
        expires = int(query.get("e", ""))
    except ValueError:
        return False
    given = query.get("s", "")
    return given.isascii() and expires > time.time() and hmac.compare_digest(_qr_mac(app["settings"].secret_key, code, expires), given)


def qr_code(link: str):
    return segno.make_qr(link, error="m")


def qr_svg_data_uri(link: str) -> str:
    return qr_code(link).svg_data_uri(scale=4, title="合规通", desc=link)


def qr_svg(link: str) -> bytes:
    buf = io.BytesIO()
    qr_code(link).save(buf, kind="svg", scale=4, title="合规通", desc=link, xmldecl=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- checks


class Rejected(Exception):
    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def signature_base(timestamp: str, raw: bytes) -> bytes:
    """What the registration system signs: the X-Timestamp value as sent, a dot, and the raw body.

    Covering the timestamp is what makes the ±5 minute window mean anything: a captured request cannot be sent
    again later with a fresh X-Timestamp, since the signature would no longer match."""
    return timestamp.encode("ascii") + b"." + raw


def sign_request(secret: str, timestamp: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), signature_base(timestamp, raw), hashlib.sha256).hexdigest()


def verify_request(secret: str, raw: bytes, signature: str | None, timestamp: str | None,
                   now: float | None = None) -> None:
    if not signature:
        raise Rejected(401, "缺少签名：请在 X-Signature 头中提供 sha256=<HMAC-SHA256 十六进制>")
    if not timestamp:
        raise Rejected(401, "缺少时间戳：请在 X-Timestamp 头中提供 Unix 时间（秒）")
    scheme, _, digest = signature.strip().partition("=")
    digest = digest.strip().lower()
    if scheme.lower() != "sha256" or not digest or not digest.isascii():
        raise Rejected(403, "签名格式错误：应为 sha256=<十六进制>")
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 13:
        raise Rejected(403, "X-Timestamp 必须是 Unix 时间（秒）")
    expected = hmac.new(secret.encode(), signature_base(timestamp, raw), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest):
        raise Rejected(403, "签名不正确（签名内容为 X-Timestamp 的值、一个英文句点和原始请求体）")
    ts = float(timestamp)
    if ts > 1e11:  # milliseconds
        ts /= 1000
    if not abs((now or time.time()) - ts) <= MAX_SKEW_SECONDS:
        raise Rejected(403, "时间戳与服务器时间相差超过5分钟，请求已过期（防重放）")


def _clean(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)
    return " ".join("".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value).split())


def registration_date(value: object, today: dt.date | None = None) -> dt.date | None:
    """The optional 成立日期 (YYYY-MM-DD; YYYY/MM/DD and YYYY.MM.DD too): it sets the first annual-report year.

    Absent or empty: the registration is taken to be today's (Chinese calendar date)."""
    from knowledge.onboarding import CHINA

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError("必须是“YYYY-MM-DD”格式的字符串")
    text = unicodedata.normalize("NFKC", value).strip().replace("/", "-").replace(".", "-")
    try:
        date = dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        raise ValueError(f"“{value[:20]}”不是有效日期，格式应为 YYYY-MM-DD") from None
    today = today or dt.datetime.now(CHINA).date()
    if date > today + dt.timedelta(days=1):
        raise ValueError("不能晚于今天")
    if date.year < 1978:
        raise ValueError("早于1978年，请核对")
    return date


def validate_payload(body: object) -> dict:
    """The cleaned registrant, or Rejected(400) naming every invalid field."""
    if not isinstance(body, dict):
        raise Rejected(400, "请求体必须是 JSON 对象")
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    for name, (low, high) in FIELD_LIMITS.items():
        label = f"{name}（{FIELD_NAMES[name]}）"
        value = body.get(name)
        if value is None and low == 0:
            out[name] = ""
            continue
        if not isinstance(value, str):
            errors[name] = f"{label}必须是字符串" if value is not None else f"{label}不能为空"
            continue
        value = _clean(value)
        if len(value) < max(low, 1) and low > 0:
            errors[name] = f"{label}不能为空" if not value else f"{label}过短：至少{low}个字"
        elif len(value) > high:
            errors[name] = f"{label}过长：上限{high}个字"
        else:
            out[name] = value
    try:
        out["credit_code"] = cc.validate(body.get("credit_code"))
    except cc.InvalidCreditCode as e:
        errors["credit_code"] = f"credit_code（统一社会信用代码）：{e}"
    try:
        out["registered_on"] = registration_date(body.get("registered_on"))
    except ValueError as e:
        errors["registered_on"] = f"registered_on（成立日期）：{e}"
    if errors:
        raise Rejected(400, next(iter(errors.values())), errors=errors)
    return out


async def _read_body(request: web.Request) -> bytes:
    try:
        return await read_limited(request, MAX_BODY_BYTES)
    except TooLarge:
        raise Rejected(413, f"请求过大：上限 {MAX_BODY_BYTES} 字节") from None


# ---------------------------------------------------------------------------------------------- handlers


@dataclass
class RegistrationState:
    """One lock per credit code being registered (concurrent repeats deliver once); dropped when unused."""

    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    @asynccontextmanager
    async def hold(self, code: str):
        lock = self.locks.setdefault(code, asyncio.Lock())
        self.users[code] = self.users.get(code, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self.users[code] -= 1
            if not self.users[code]:
                del self.users[code], self.locks[code]


def _store(s, data: dict, sender: str) -> dict:
    reg = s.query(Registrant).filter_by(credit_code=data["credit_code"]).one_or_none()
    created = reg is None
    if created:
        reg = Registrant(credit_code=data["credit_code"], company_name=data["company_name"],
                         industry=data["industry"], region=data["region"], contact=data["contact"],
                         sender_id=sender)
        s.add(reg)
        s.flush()
    conv = s.get(Conversation, sender)
    if conv is None:
        s.add(Conversation(sender_id=sender, channel="registration", registrant_id=reg.id))
    elif conv.registrant_id is None:
        conv.registrant_id = reg.id
    return {"created": created, "delivered": reg.delivered_at is not None, "company_name": reg.company_name,
            "industry": reg.industry, "sender": reg.sender_id}


def _prompt_key(text: str) -> str:
    """A prompt is known by its first line, the 【title】 (开业合规提醒, 开业30天清单 · 餐饮)."""
    return (text or "").split("\n", 1)[0]


def _already_delivered(s, sender: str) -> set[str]:
    rows = s.query(TurnLog.text).filter(TurnLog.sender_id == sender,
                                        TurnLog.direction.in_((PROMPT_DIRECTION, "system"))).all()
    return {_prompt_key(text) for (text,) in rows}


async def deliver_prompts(app: web.Application, sender: str, prompts: list[dict]) -> int:
    """Deliver the prompts not yet in the conversation (a retry after a partial failure sends only the rest)."""
    done = await app["db"].run(lambda s: _already_delivered(s, sender))
    count = 0
    for p in prompts:
        if _prompt_key(p["text"]) in done:
            continue
        await deliver(app, sender, p["text"], custom=p["custom"], buttons=p.get("buttons"),
                      direction=PROMPT_DIRECTION)
        count += 1
    return count


def _mark_delivered(s, code: str) -> None:
    reg = s.query(Registrant).filter_by(credit_code=code).one()
    reg.delivered_at = utcnow()


async def register(request: web.Request) -> web.Response:
    app = request.app
    secret = app["settings"].registration_secret
    if not secret:
        return error(503, "登记接口未配置：请设置 REGISTRATION_HMAC_SECRET")
    try:
        raw = await _read_body(request)
        verify_request(secret, raw, request.headers.get("X-Signature"), request.headers.get("X-Timestamp"))
        if request.content_type not in ("application/json", "application/octet-stream", ""):
            raise Rejected(415, "请求体必须是 JSON（Content-Type: application/json）")
        try:
            body = parse_json(raw)
        except BadInput as e:
            raise Rejected(e.status, e.message) from None
        data = validate_payload(body)
    except Rejected as e:
        if e.status in (401, 403):
            logger.warning("registration.rejected", status=e.status, reason=e.message)
        return error(e.status, e.message, **e.extra)

    code = data["credit_code"]
    sender = "reg-" + code
    kb = await get_kb(app)
    state: RegistrationState = app["registrations"]
    async with state.hold(code):
        try:
            info = await app["db"].run(lambda s: _store(s, data, sender))
        except IntegrityError:  # created by another process a moment ago
            info = await app["db"].run(lambda s: _store(s, data, sender))
        sender = info["sender"]
        industries = match_industries(kb, info["industry"])
        delivered = 0
        if not info["delivered"]:
            prompts = compose_prompts(kb, info["company_name"], info["industry"], industries, code,
                                      registered_on=data["registered_on"])
            try:
                delivered = await deliver_prompts(app, sender, prompts)
            except Exception:
                logger.exception("registration.delivery_failed", sender=mask(sender))
                return error(503, "已登记，但提示消息暂未送达（对话服务暂不可用），请稍后重发同一请求", sender=sender)
            await app["db"].run(lambda s: _mark_delivered(s, code))
    logger.info("registration.done", sender=mask(sender), created=info["created"], delivered=delivered,
                industries=industries)
    link = widget_link(app, sender)
    return web.json_response({
        "sender": sender,
        "created": info["created"],
        "delivered": delivered,
        "industries": industries,
        "kind": business_kind(code, info["company_name"]).label,
        "link": link,
        "qr": qr_svg_data_uri(link),
        "qr_url": qr_url(app, code),
        **({"warnings": [f"行业“{info['industry']}”未能对应到知识库中的行业，只发送了各行业通用的提示"]}
           if not industries else {}),
    }, status=201 if info["created"] else 200)


async def qr(request: web.Request) -> web.Response:
    app = request.app
    verdict = await app["ratelimit"].address(client_address(request))
    if not verdict.allowed:
        return verdict.response("请求太频繁，请稍后再试")
    try:
        code = cc.validate(request.match_info["credit_code"])
    except cc.InvalidCreditCode as e:
        return error(400, f"credit_code（统一社会信用代码）：{e}")
    if qr_requires_signature(app) and not qr_url_ok(app, code, request.query):
        return error(403, "二维码地址需要签名：请使用登记接口返回的 qr_url")
    sender = await app["db"].run(lambda s: s.query(Registrant.sender_id).filter_by(credit_code=code).scalar())
    if sender is None:
        return error(404, "没有这个统一社会信用代码的登记")
    return web.Response(body=qr_svg(widget_link(app, sender)), content_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    app["registrations"] = RegistrationState()
    app.router.add_post("/api/registrations", register)
    app.router.add_get("/api/registrations/{credit_code}/qr.svg", qr)
