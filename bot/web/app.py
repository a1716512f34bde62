"""Application factory of the web front."""
from __future__ import annotations

import hashlib

import structlog
from aiohttp import web
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.web import api, feedback, messages_left, presence, registrations, staff, wechat, widget
from bot.web.config import Settings
from bot.web.db import Database
from bot.web.rasa_client import RasaClient
from bot.web.ratelimit import RateLimits, trusted_networks
from bot.web.turnlog import make_turn_hook

logger = structlog.get_logger()


@web.middleware
async def errors_as_json(request: web.Request, handler):
    """Unknown routes, wrong methods and unexpected failures answer with a clear JSON message."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status >= 400 and (request.path.startswith("/api/") or e.status in (404, 405)):
            text = {404: "没有这个地址", 405: "不支持这个请求方法", 413: "请求过大"}.get(e.status, e.reason)
            return web.json_response({"error": text}, status=e.status, headers=getattr(e, "headers", None) and
                                     {k: v for k, v in e.headers.items() if k.lower() == "allow"})
        raise
    except Exception:
        logger.exception("web.unhandled", path=request.path)
        return web.json_response({"error": "服务器内部错误，请稍后再试"}, status=500)


def create_app(settings: Settings | None = None, rasa: RasaClient | None = None) -> web.Application:
    settings = settings or Settings()
    app = web.Application(middlewares=[errors_as_json], client_max_size=max(settings.max_text_bytes * 4, 64 * 1024))
    app["settings"] = settings
    app["rasa"] = rasa or RasaClient(settings.rasa_urls, settings.rasa_token, settings.rasa_timeout)
    app["ratelimit"] = RateLimits.from_settings(settings)
    app["trusted_proxies"] = trusted_networks(settings.trusted_proxies)
    app["db"] = Database(settings.database_url)
    app["push"] = {}  # channel -> [async fn(sender, text, buttons)] for push channels (WeChat)
    app["waiters"] = {}  # sender -> asyncio.Event, set when a message is delivered from outside Rasa
    app["turn_hooks"] = [make_turn_hook(app)]
    # one encrypted session cookie for the widget (its sender id) and the staff console (login, CSRF token)
    key = hashlib.sha256(settings.secret_key.encode()).digest()  # 32 raw bytes: the storage base64-encodes it
    setup_session(app, EncryptedCookieStorage(key, cookie_name="hegui_session", httponly=True, samesite="Lax",
                                              max_age=30 * 24 * 3600, secure=settings.session_cookie_secure))
    app.add_routes(api.routes)
    for module in (widget, staff, wechat, registrations, presence, feedback, messages_left):
        module.setup(app)

    async def close_rasa(app: web.Application) -> None:
        await app["rasa"].close()

    app.on_cleanup.append(close_rasa)
    return app
