"""Application factory of the web front."""
from __future__ import annotations

import structlog
from aiohttp import web

from bot.web import api
from bot.web.config import Settings
from bot.web.rasa_client import RasaClient
from bot.web.ratelimit import RateLimiter

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
    app["ratelimit"] = RateLimiter(settings.rate_limit_per_minute)
    app["turn_hooks"] = []
    app.add_routes(api.routes)

    async def close_rasa(app: web.Application) -> None:
        await app["rasa"].close()

    app.on_cleanup.append(close_rasa)
    return app
