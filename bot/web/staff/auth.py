"""Staff log-in: argon2 password hashes, the session in the front's encrypted cookie, CSRF tokens, lock-out.

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

from bot.web.db import StaffUser
from bot.web.validation import BadInput

logger = structlog.get_logger()

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
SESSION_MAX_HOURS = 12  # a log-in lasts at most one long shift
SESSION_IDLE_MINUTES = 120  # and ends after two hours without a request
SEEN_RESOLUTION = 60  # seconds: how often the idle clock is written back to the cookie

STAFF_KEY = "staff"
CSRF_KEY = "csrf"
FLASH_KEY = "flash"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/staff/login"
PUBLIC_PATHS = {LOGIN_PATH}
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
    if not isinstance(info, dict) or not isinstance(info.get("id"), int):
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


def _attempt(username: str, password: str, now: float):
    """In a worker thread: check the password and update the failure counter. Returns (Staff|None, problem)."""

    def run(s):
        user = s.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
        if user is None or not user.active:
            verify_password(_DUMMY_HASH, password)
            return None, "bad", None
        moment = _utc(now)
        if user.locked_until is not None:
            if user.locked_until > moment:
                return None, "locked", user.locked_until
            user.locked_until = None
            user.failed_logins = 0
        if not verify_password(user.password_hash, password):
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = moment + dt.timedelta(minutes=LOCK_MINUTES)
                logger.warning("staff.locked", username=username)
                return None, "locked", user.locked_until
            return None, "bad", None
        user.failed_logins = 0
        user.locked_until = None
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return Staff(user.id, user.username, user.display_name, user.role), "", None

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
        return await _render_login(request, "用户名或密码错误。", next_path, username, status=401)
    staff, problem, locked_until = await request.app["db"].run(_attempt(username, password, _now()))
    if problem == "locked":
        until = locked_until.replace(tzinfo=dt.timezone.utc).astimezone(dt.timezone(dt.timedelta(hours=8)))
        message = (f"连续 {MAX_FAILED_LOGINS} 次密码错误，账号已锁定 {LOCK_MINUTES} 分钟，请在 {until:%H:%M} 之后再试；"
                   "如需提前解锁，请联系管理员。")
        return await _render_login(request, message, next_path, username, status=429)
    if staff is None:
        return await _render_login(
            request, f"用户名或密码错误。连续输错 {MAX_FAILED_LOGINS} 次将锁定 {LOCK_MINUTES} 分钟。", next_path, username,
            status=401)
    old = await get_session(request)
    keep = {k: old[k] for k in ("widget_sender",) if k in old}
    session = await new_session(request)  # a fresh session at the change of privilege
    session.update(keep)
    now = _now()
    session[STAFF_KEY] = {"id": staff.id, "u": staff.username, "at": now, "seen": now}
    session[CSRF_KEY] = secrets.token_urlsafe(32)
    logger.info("staff.login", username=staff.username)
    raise web.HTTPSeeOther(_safe_next(next_path))


async def logout(request: web.Request) -> web.Response:
    session = await get_session(request)
    session.pop(STAFF_KEY, None)
    session[CSRF_KEY] = secrets.token_urlsafe(32)
    await flash(request, "您已退出登录。")
    raise web.HTTPSeeOther(LOGIN_PATH)
