"""JSON API for the widget and integrations: POST /api/messages (Rasa REST-channel format)."""
from __future__ import annotations

from aiohttp import web

from bot.web.conversation import UNAVAILABLE, converse
from bot.web.rasa_client import RasaUnavailable
from bot.web.ratelimit import client_address
from bot.web.validation import BadInput, clean_sender, clean_text, error, read_json
from bot.web.widget import widget_sender

routes = web.RouteTableDef()
CHANNEL_OWNED = ("wx-", "reg-", "assist-")


@routes.post("/api/messages")
async def post_message(request: web.Request) -> web.Response:
    app = request.app
    settings = app["settings"]
    by_address = await app["ratelimit"].address(client_address(request))
    if not by_address.allowed:
        return by_address.response()
    try:
        body = await read_json(request, settings.max_text_bytes + 1024)
        sender = clean_sender(body.get("sender"))
        text = clean_text(body.get("message"), settings.max_text_bytes)
    except BadInput as e:
        return error(e.status, e.message)
    if sender.startswith(CHANNEL_OWNED) and await widget_sender(request) != sender:
        # WeChat users, registrants and staff assist conversations are reached only through their own door (or a
        # widget session bound to them by a signed link): the public API cannot write into them
        return error(403, "这个会话只能从它自己的入口访问")
    by_sender = await app["ratelimit"].sender(sender)
    if not by_sender.allowed:
        return by_sender.response()
    metadata = {"channel": body.get("channel") if body.get("channel") in ("widget", "api") else "api"}
    try:
        messages = await converse(app, sender, text, metadata["channel"], metadata=metadata)
    except RasaUnavailable:
        return error(503, UNAVAILABLE)
    return web.json_response(messages)


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    replicas = await request.app["rasa"].healthy()
    ok = any(replicas.values())
    return web.json_response({"ok": ok, "rasa": replicas}, status=200 if ok else 503)
