"""A fake Rasa HTTP server (the card channel, tracker and events API) for web-front tests without a model."""
from __future__ import annotations

import asyncio
import threading
import time

from aiohttp import web

CARD = {"topic": "compliance", "kb_ids": ["market.food.expired_food"],
        "citations": [{"law": "中华人民共和国食品安全法", "article": "第五十四条",
                       "quote": "食品经营者应当按照保证食品安全的要求贮存食品，定期检查库存食品，及时清理变质或者超过保质期的食品。",
                       "version": "2021-04-29"}]}


class FakeRasaServer:
    """Answers every message with a cited card; records what it received."""

    def __init__(self, delay: float = 0.0, slow_first: float = 0.0):
        self.delay = delay  # seconds each turn takes (the tracker is written at the end, as Rasa does)
        self.slow_first = slow_first  # the first turn takes this long and, like Rasa, is dropped if the client left
        self.received: list[dict] = []
        self.events: dict[str, list[dict]] = {}
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()

        async def webhook(request: web.Request) -> web.Response:
            body = await request.json()
            self.received.append(body)
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.slow_first and len(self.received) == 1:
                await asyncio.sleep(self.slow_first)
                if request.transport is None or request.transport.is_closing():
                    return web.json_response([])  # cancelled: nothing stored
            sender = body["sender"]
            reply = {"recipient_id": sender, "text": "【销售超过保质期的食品】法律依据……", "custom": CARD,
                     "buttons": [{"title": "看法条原文", "payload": "/ask_why"}]}
            evs = self.events.setdefault(sender, [])
            evs.append({"event": "user", "text": body["message"], "timestamp": time.time(),
                        "message_id": body.get("message_id")})
            evs.append({"event": "bot", "text": reply["text"], "timestamp": time.time(),
                        "data": {"custom": CARD, "buttons": reply["buttons"]}})
            return web.json_response([reply])

        async def tracker(request: web.Request) -> web.Response:
            sender = request.match_info["sender"]
            return web.json_response({"sender_id": sender, "paused": False, "events": self.events.get(sender, [])})

        async def append(request: web.Request) -> web.Response:
            sender = request.match_info["sender"]
            self.events.setdefault(sender, []).extend(await request.json())
            return web.json_response({"sender_id": sender})

        async def health(request: web.Request) -> web.Response:
            return web.Response(text="Hello from Rasa: 3.6.21")

        app.router.add_post("/webhooks/card/webhook", webhook)
        app.router.add_get("/conversations/{sender}/tracker", tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", append)
        app.router.add_get("/", health)
        return app


class BackgroundServer:
    """Run aiohttp applications on loopback ports in a background thread (for sync tests)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runners: list[web.AppRunner] = []

    def serve(self, app: web.Application) -> str:
        async def start() -> str:
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.runners.append(runner)
            return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

        return asyncio.run_coroutine_threadsafe(start(), self.loop).result(30)

    def close(self) -> None:
        async def stop() -> None:
            for r in self.runners:
                await r.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
