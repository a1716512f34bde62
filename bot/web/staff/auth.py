"""Staff log-in: argon2 password hashes, server-side sessions named by the front's encrypted cookie, CSRF tokens,
lock-out per account, per source address and per the pair of both.

* A log-in is a row of ``web_staff_sessions``; the cookie carries its id.  Log-out revokes the row, so a copied
  cookie stops working at once (not at the idle or absolute limit), on every replica.
* Failed log-ins are counted in ``web_login_failures`` for the account name whether or not it exists (unknown
  names answer exactly like real ones: no enumeration), for the source address, and for the pair.  Five
  failures lock the pair, so an attacker cannot lock a colleague out from another address with five posts; an
  account is locked for everyone only after 20 failures from anywhere, an address after 20 on any accounts.

Every path under /staff goes through ``staff_guard`` (a middleware, so a new route cannot forget it): only the
log-in page is open; anything else without a valid, unexpired staff session is refused — pages redirect to the
log-in page, /staff/api/* answers 401 JSON.  Every POST under /staff (log-in included) needs the session's CSRF
token, as the form field ``csrf`` or the header ``X-CSRF-Token``.
"""
from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp_jinja2
import structlog
from aiohttp import web
from aiohttp_session import get_session, new_session
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.web.db import LoginFailure, StaffSession, StaffUser
from bot.web.ratelimit import client_address
from bot.web.validation import BadInput

logger = structlog.get_logger()

MAX_FAILED_LOGINS = 5  # one account from one source address
MAX_ACCOUNT_FAILURES = 20  # one account from all addresses (a guess spread over many addresses)
MAX_SOURCE_FAILURES = 20  # one address over all account names (a guess spread over many names)
LOCK_MINUTES = 15  # also the window failures are counted in
SESSION_MAX_HOURS = 12  # a log-in lasts at most one long shift
SESSION_IDLE_MINUTES = 120  # and ends after two hours without a request
SEEN_RESOLUTION = 60  # seconds: how often the idle clock is written back to the cookie

STAFF_KEY = "staff"
CSRF_KEY = "csrf"
FLASH_KEY = "flash"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/staff/login"
PUBLIC_PATHS = {LOGIN_PATH}
BAD_CREDENTIALS = f"用户名或密码错误。连续输错 {MAX_FAILED_LOGINS} 次将暂停登录 {LOCK_MINUTES} 分钟。"
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@\-]{2,64}$")

STAFF_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
             "base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'")
STAFF_HEADERS = {"Content-Security-Policy": STAFF_CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                 "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}

hasher = PasswordHasher()
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))  # compared against for unknown users: same timing


def _now() -> float:
    """The clock of this module (tests move it)."""
    return time.time()


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None)


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# ---------------------------------------------------------------------------------------------- session helpers


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get(CSRF_KEY)
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


async def flash(request: web.Request, message: str, kind: str = "info") -> None:
    session = await get_session(request)
    items = list(session.get(FLASH_KEY) or [])[-4:]
    items.append([kind, message])
    session[FLASH_KEY] = items


async def pop_flashes(request: web.Request) -> list[tuple[str, str]]:
    session = await get_session(request)
    items = session.pop(FLASH_KEY, None) or []
    return [(str(k), str(m)) for k, m in items if isinstance(k, str)]


async def authenticate(request: web.Request) -> tuple[Staff | None, str]:
    """(staff, "") for a valid session; (None, "anonymous" | "expired") otherwise."""
    session = await get_session(request)
    info = session.get(STAFF_KEY)
    if not isinstance(info, dict) or not isinstance(info.get("id"), int) or not isinstance(info.get("sid"), str):
        session.pop(STAFF_KEY, None)  # also a cookie from before server-side sessions: log in again
        return None, "anonymous"
    now = _now()
    at, seen = info.get("at"), info.get("seen")
    if (not isinstance(at, (int, float)) or not isinstance(seen, (int, float)) or now - at > SESSION_MAX_HOURS * 3600
            or now - seen > SESSION_IDLE_MINUTES * 60 or at > now + 300):
        session.pop(STAFF_KEY, None)
        return None, "expired"

    def load(s):
        user = s.get(StaffUser, info["id"])
        if user is None or not user.active or user.username != info.get("u"):
            return None
        login = s.get(StaffSession, info["sid"])
        if login is None or login.user_id != user.id or login.revoked_at is not None:
            return None  # logged out (here or from another browser holding a copy of this cookie)
        return Staff(user.id, user.username, user.display_name, user.role)

    staff = await request.app["db"].run(load)
    if staff is None:  # the account was removed or disabled since
        session.pop(STAFF_KEY, None)
        return None, "expired"
    if now - seen > SEEN_RESOLUTION:
        session[STAFF_KEY] = {**info, "seen": now}
    return staff, ""


async def _form_csrf(request: web.Request) -> str | None:
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get("csrf")
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: web.Request) -> bool:
    session = await get_session(request)
    expected = session.get(CSRF_KEY)
    if not isinstance(expected, str) or not expected:
        return False
    given = request.headers.get(CSRF_HEADER) or await _form_csrf(request)
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/staff/api/")


def _safe_next(value: str | None) -> str:
    """Only a path inside the console: never another site (an open redirect)."""
    if (isinstance(value, str) and value.startswith("/staff/") and not value.startswith("//")
            and "\\" not in value and not value.startswith(LOGIN_PATH) and len(value) < 500):
        return value
    return "/staff/"


def render_page(request: web.Request, template: str, context: dict, status: int = 200) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers.update(STAFF_HEADERS)
    return response


def _refuse_page(request: web.Request, status: int, title: str, message: str, staff: Staff | None = None,
                 csrf: str = "", back: str = "") -> web.Response:
    return render_page(request, "staff/error.html", {"title": title, "message": message, "staff": staff,
                                                     "csrf": csrf, "flashes": [], "nav": "", "back": back,
                                                     "static": _static(request)}, status=status)


def _static(request: web.Request) -> dict:
    from bot.web.templating import static_url

    return {"css": static_url(request.app, "staff.css"), "js": static_url(request.app, "staff.js")}


# ---------------------------------------------------------------------------------------------- the guard


@web.middleware
async def staff_guard(request: web.Request, handler):
    path = request.path
    if path != "/staff" and not path.startswith("/staff/"):
        return await handler(request)
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as e:
        for k, v in STAFF_HEADERS.items():
            e.headers.setdefault(k, v)
        raise
    if isinstance(response, web.StreamResponse) and not response.prepared:
        for k, v in STAFF_HEADERS.items():
            response.headers.setdefault(k, v)
    return response


async def _guarded(request: web.Request, handler):
    unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
    if request.path in PUBLIC_PATHS:
        if unsafe and not await _csrf_ok(request):
            return _refuse_page(request, 403, "页面已过期", "登录页面已过期（安全校验未通过），请刷新页面后重新登录。")
        return await handler(request)
    staff, reason = await authenticate(request)
    if staff is None:
        message = "登录已过期，请重新登录" if reason == "expired" else "请先登录"
        if _is_api(request):
            return web.json_response({"error": message, "login": LOGIN_PATH}, status=401)
        location = LOGIN_PATH
        if request.method == "GET":
            location += "?next=" + quote(request.path_qs, safe="")
        if reason == "expired":
            await flash(request, message, "warning")
        raise web.HTTPSeeOther(location)
    request["staff"] = staff
    if request.match_info.http_exception is not None:  # 404 / 405: nothing to protect, say so plainly
        return await handler(request)
    if unsafe and not await _csrf_ok(request):
        if _is_api(request):
            return web.json_response({"error": "安全校验未通过（缺少或错误的 CSRF 令牌），请刷新页面后重试"}, status=403)
        return _refuse_page(request, 403, "安全校验未通过", "页面已过期（CSRF 令牌不符），请返回并刷新页面后重试。",
                            staff, await csrf_token(request))
    try:
        return await handler(request)
    except BadInput as e:
        if _is_api(request):
            return web.json_response({"error": e.message}, status=e.status)
        back = request.headers.get("Referer", "")
        back = back if back.startswith(f"{request.scheme}://{request.host}/staff/") else ""
        return _refuse_page(request, e.status, "请求无效", e.message, staff, await csrf_token(request), back)


async def _csrf_ok(request: web.Request) -> bool:
    try:
        return await check_csrf(request)
    except web.HTTPRequestEntityTooLarge:
        return False
    except ValueError:  # a malformed form body
        return False


# ---------------------------------------------------------------------------------------------- log in / out


def _failure_keys(username: str, source: str) -> dict[str, tuple[str, int]]:
    return {"pair": (f"{username}|{source}"[:200], MAX_FAILED_LOGINS), "account": (username[:200], MAX_ACCOUNT_FAILURES),
            "source": (source[:200], MAX_SOURCE_FAILURES)}


def _attempt(username: str, password: str, source: str, now: float):
    """In a worker thread: check the lock-outs, then the password, and count a failure.

    Returns (Staff | None, problem, locked_until): problem is "" (logged in), "bad" or "locked"."""

    def run(s):
        moment = _utc(now)
        window = dt.timedelta(minutes=LOCK_MINUTES)
        keys = _failure_keys(username, source)
        rows = {scope: s.get(LoginFailure, (scope, key)) for scope, (key, _) in keys.items()}
        locks = [r.locked_until for r in rows.values() if r is not None and r.locked_until and r.locked_until > moment]
        if locks:  # answered before looking the name up: the same for every name
            return None, "locked", max(locks)
        user = s.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
        if user is None or not user.active:
            verify_password(_DUMMY_HASH, password)  # the same time as a real check
            ok = False
        else:
            ok = verify_password(user.password_hash, password)
        if ok:
            if rows["pair"] is not None:
                s.delete(rows["pair"])
            if hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            return Staff(user.id, user.username, user.display_name, user.role), "", None
        locked = []
        for scope, (key, limit) in keys.items():
            row = rows[scope]
            if row is None:
                row = LoginFailure(scope=scope, key=key, failures=0, window_started_at=moment)
                s.add(row)
            if row.window_started_at <= moment - window or row.locked_until is not None:
                row.failures, row.window_started_at, row.locked_until = 0, moment, None
            row.failures += 1
            if row.failures >= limit:
                row.locked_until = moment + window
                locked.append(row.locked_until)
                logger.warning("staff.locked", scope=scope, username=username if scope != "source" else None,
                               source=source if scope != "account" else None)
        if locked:
            return None, "locked", max(locked)
        return None, "bad", None

    return run


def _new_session(staff_id: int, now: float):
    def run(s) -> str:
        sid = secrets.token_urlsafe(32)
        s.add(StaffSession(id=sid, user_id=staff_id, created_at=_utc(now)))
        return sid

    return run


def _revoke_session(sid, now: float):
    def run(s) -> None:
        login = s.get(StaffSession, sid) if isinstance(sid, str) else None
        if login is not None and login.revoked_at is None:
            login.revoked_at = _utc(now)

    return run


async def login_page(request: web.Request) -> web.Response:
    staff, _ = await authenticate(request)
    if staff is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next")))
    return await _render_login(request, "", request.query.get("next", ""))


async def _render_login(request: web.Request, error: str, next_path: str, username: str = "",
                        status: int = 200) -> web.Response:
    context = {"error": error, "next": _safe_next(next_path) if next_path else "", "username": username,
               "csrf": await csrf_token(request), "flashes": await pop_flashes(request), "staff": None, "nav": "",
               "static": _static(request)}
    return render_page(request, "staff/login.html", context, status=status)


async def login_submit(request: web.Request) -> web.Response:
    try:
        form = await request.post()
    except (ValueError, web.HTTPRequestEntityTooLarge):
        return await _render_login(request, "请求无效，请重新填写。", "", status=400)
    username = form.get("username") if isinstance(form.get("username"), str) else ""
    password = form.get("password") if isinstance(form.get("password"), str) else ""
    next_path = form.get("next") if isinstance(form.get("next"), str) else ""
    username = username.strip()
    if not username or not password:
        return await _render_login(request, "请输入用户名和密码。", next_path, username, status=400)
    if not USERNAME_RE.match(username) or len(password) > 1024:
        return await _render_login(request, BAD_CREDENTIALS, next_path, username, status=401)
    source = client_address(request)
    if not (await request.app["ratelimit"].address(source)).allowed:
        return await _render_login(request, "请求太频繁，请稍后再试。", next_path, username, status=429)
    try:
        staff, problem, locked_until = await request.app["db"].run(_attempt(username, password, source, _now()))
    except IntegrityError:  # another failure for the same name or address was counted at the same moment
        staff, problem, locked_until = await request.app["db"].run(_attempt(username, password, source, _now()))
    if problem == "locked":
        until = locked_until.replace(tzinfo=dt.timezone.utc).astimezone(dt.timezone(dt.timedelta(hours=8)))
        message = (f"登录失败次数过多，已暂停登录 {LOCK_MINUTES} 分钟，请在 {until:%H:%M} 之后再试；"
                   "如需提前解锁，请联系管理员。")
        return await _render_login(request, message, next_path, username, status=429)
    if staff is None:
        return await _render_login(request, BAD_CREDENTIALS, next_path, username, status=401)
    old = await get_session(request)
    keep = {k: old[k] for k in ("widget_sender",) if k in old}
    session = await new_session(request)  # a fresh session at the change of privilege
    session.update(keep)
    now = _now()
    sid = await request.app["db"].run(_new_session(staff.id, now))
    session[STAFF_KEY] = {"id": staff.id, "u": staff.username, "sid": sid, "at": now, "seen": now}
    session[CSRF_KEY] = secrets.token_urlsafe(32)
    logger.info("staff.login", username=staff.username)
    raise web.HTTPSeeOther(_safe_next(next_path))


async def logout(request: web.Request) -> web.Response:
    session = await get_session(request)
    info = session.pop(STAFF_KEY, None)
    if isinstance(info, dict):
        await request.app["db"].run(_revoke_session(info.get("sid"), _now()))
    session[CSRF_KEY] = secrets.token_urlsafe(32)
    await flash(request, "您已退出登录。")
    raise web.HTTPSeeOther(LOGIN_PATH)
