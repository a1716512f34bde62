"""New registrants door: ``POST /api/registrations`` from the business-registration system, and the QR code of a
registrant's conversation link at ``GET /api/registrations/{credit_code}/qr.svg``.

The registration system signs each request: ``X-Timestamp: <unix seconds>`` and ``X-Signature: sha256=<hex
HMAC-SHA256(secret, X-Timestamp value + "." + raw body)>``; a request more than 5 minutes off the server clock is
refused, and since the timestamp is signed a captured request cannot be replayed later with a fresh one.  The secret is
``REGISTRATION_HMAC_SECRET``.  Body (JSON)::

    {"company_name": "…", "credit_code": "18位统一社会信用代码", "industry": "餐饮", "region": "南宁市",
     "contact": "…"}

The registrant is stored once per credit code; its conversation (sender ``reg-<credit code>``) receives three
tailored prompts through ``deliver``: the criminal-risk notice for its industry, the high-frequency compliance
items of its industry, and the annual-report deadline.  A repeat of the same credit code answers 200 with the
same sender and delivers nothing again.  The answer carries the widget link ``{PUBLIC_URL}/?t=<signed token>``
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

logger = structlog.get_logger()

MAX_BODY_BYTES = 16 * 1024
MAX_SKEW_SECONDS = 300
ALL_INDUSTRIES = "全部行业"
MAX_COMPLIANCE_ITEMS = 12
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


def match_industries(kb, text: str) -> list[str]:
    """Canonical industries named in a free-text industry (“餐饮服务”, “小吃店”, “批发和零售业” ...).

    A match inside a longer match of another industry is dropped (“烟草零售” is not also 零售)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    spans: list[tuple[int, int, str]] = []
    for canonical, forms in kb.vocab.get("industry", {}).items():
        if canonical == ALL_INDUSTRIES:
            continue
        for form in {canonical, *forms}:
            form = unicodedata.normalize("NFKC", form).lower()
            start = text.find(form) if form else -1
            while start != -1:
                spans.append((start, start + len(form), canonical))
                start = text.find(form, start + 1)
    kept = [s for s in spans if not any(o[2] != s[2] and o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0]
                                        for o in spans)]
    out: list[str] = []
    for _, _, canonical in sorted(kept):
        if canonical not in out:
            out.append(canonical)
    return out


# ---------------------------------------------------------------------------------------------- prompts


def _one_line(penalty: str, limit: int = 64) -> str:
    """The clause of a penalty article that says what is imposed (the first one naming a fine), shortened."""
    clauses = [c.strip() for c in " ".join(penalty.split()).replace("。", "；").split("；") if c.strip()]
    text = next((c for c in clauses if "罚款" in c), clauses[0] if clauses else "")
    if "罚款" in text:
        text = text[: text.index("罚款") + 2]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _citations(kb, citations) -> list[dict]:
    seen, out = set(), []
    for c in citations:
        key = (c.law, c.article, c.quote)
        if key not in seen:
            seen.add(key)
            out.append(kb.citation_dict(c))
    return out


def _relevant(records, industries: set[str]):
    """Records of the registrant's industries only, then those also for every business, then the general ones."""
    def tier(r) -> int:
        own, general = bool(industries & set(r.industries)), ALL_INDUSTRIES in r.industries
        return 0 if own and not general else 1 if own else 2 if general else 3

    return sorted((r for r in records if tier(r) < 3), key=tier)  # sorted() is stable: file order within a tier


def compose_prompts(kb, company_name: str, industry: str, industries: list[str], code: str,
                    today: dt.date | None = None) -> list[dict]:
    """The registrant's tailored prompts: ``[{"text", "custom"}]`` in delivery order."""
    from knowledge.schema import ComplianceItem, CriminalRisk, Guide

    today = today or dt.date.today()
    inds = set(industries)
    shown = "、".join(industries) if industries else f"{industry}（未能对应到具体行业，以下为各行业通用内容）"
    prompts = []

    risks = _relevant(kb.of_type(CriminalRisk), inds)
    lines, cites = [], []
    for i, r in enumerate(risks, 1):
        penal = [c for c in r.citations if c.law == "刑法"] or list(r.citations)
        articles = list(dict.fromkeys(c.article for c in penal))
        law = kb.citation_dict(penal[0])["law"]
        lines.append(f"{i}. {r.crime}（《{law}》{'、'.join(articles)}）")
        cites.extend(penal)
    text = (f"【刑事合规风险提示】{company_name}，您好！合规通根据贵单位登记的行业（{shown}），"
            f"整理了经营中需要特别防范的刑事风险：\n" + "\n".join(lines) +
            (f"\n发送罪名（例如“{risks[0].crime}”）可查看常见表现和防范建议。" if risks else ""))
    prompts.append({"text": text, "custom": {
        "topic": "criminal_risk", "kb_ids": [r.id for r in risks], "citations": _citations(kb, cites),
        "data": {"registration": True, "prompt": "criminal_risk", "industries": industries}}})

    items = [c for c in _relevant(kb.of_type(ComplianceItem), inds) if c.frequency == "高"][:MAX_COMPLIANCE_ITEMS]
    lines, cites = [], []
    for i, item in enumerate(items, 1):
        lines.append(f"{i}. {item.title}——处罚：{_one_line(item.penalty)}")
        cites.extend(c for c in item.citations if c.role == "penalty")
    text = ("【高频合规事项】同行业经营者最常被查处的问题：\n" + "\n".join(lines) +
            "\n发送其中任一事项（例如“" + (items[0].synonyms[0] if items else "明码标价") + "”）可查看合规建议和能否免罚。")
    prompts.append({"text": text, "custom": {
        "topic": "compliance", "kb_ids": [c.id for c in items], "citations": _citations(kb, cites),
        "data": {"registration": True, "prompt": "high_frequency", "industries": industries}}})

    guides = [g for g in kb.of_type(Guide) if g.guide_topic == "annual_report"]
    main = next((g for g in guides if g.id == "guide.annual_report.deadline"), guides[0] if guides else None)
    if main is not None:
        used = [main]
        lines = [f"【年报提醒】{main.title}。",
                 f"贵单位在{today.year}年设立登记的，首次年报在{today.year + 1}年1月1日至6月30日之间报送上一年度报告，"
                 f"此后每年6月30日前报送。", *main.body[:1], *[b for b in main.body if b.startswith("没报")]]
        individual = next((g for g in guides if g.id == "guide.annual_report.individual_business"), None)
        if cc.entity_kind(code) == "个体工商户" and individual is not None:
            used.append(individual)
            lines.append(individual.body[1] if len(individual.body) > 1 else individual.title)
        prompts.append({"text": "\n".join(lines), "custom": {
            "topic": "compliance", "kb_ids": [g.id for g in used],
            "citations": _citations(kb, [c for g in used for c in g.citations]),
            "data": {"registration": True, "prompt": "annual_report",
                     "deadline": f"{today.year + 1}-06-30"}}})
    return prompts


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


def _already_delivered(s, sender: str) -> set[tuple]:
    rows = s.query(TurnLog.topic, TurnLog.kb_ids).filter_by(sender_id=sender, direction="system").all()
    return {(topic, tuple(kb_ids or [])) for topic, kb_ids in rows}


async def deliver_prompts(app: web.Application, sender: str, prompts: list[dict]) -> int:
    """Deliver the prompts not yet in the conversation (a retry after a partial failure sends only the rest)."""
    done = await app["db"].run(lambda s: _already_delivered(s, sender))
    count = 0
    for p in prompts:
        key = (p["custom"]["topic"], tuple(p["custom"]["kb_ids"]))
        if key in done:
            continue
        await deliver(app, sender, p["text"], custom=p["custom"], direction="system")
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
            prompts = compose_prompts(kb, info["company_name"], info["industry"], industries, code)
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
