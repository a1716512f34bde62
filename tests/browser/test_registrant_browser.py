"""A new registrant's first push, as the registrant sees it: a signed ``POST /api/registrations`` to the real web
front (fake Rasa over HTTP, the real knowledge base), then the widget opened through the link its QR code encodes,
in headless Chromium (Debian's /usr/bin/chromium; nothing is downloaded).

Set SCREENSHOTS_DIR to save registrant.png there (the README's picture of a real first push):

    SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest -q -m browser tests/browser/test_registrant_browser.py
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import threading
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from playwright.sync_api import expect, sync_playwright

from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.registrations import sign_request
from knowledge.kb import KnowledgeBase
from knowledge.onboarding import CHINA

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECRET = "registration-browser-secret"
NOODLE_SHOP = {"company_name": "南宁市青秀区老友记粉店", "credit_code": "92450100MA5KB1234F", "industry": "小吃店",
               "region": "南宁市", "contact": ""}
PAYLOADS = ("browse_compliance", "ask_criminal_risk", "ask_compliance", "kb_id", "guide.annual_report")


class FakeRasa:
    """The tracker the front appends the prompts to and reads the history from; a tapped button gets a card."""

    def __init__(self):
        self.trackers: dict[str, dict] = {}
        self.received: list[str] = []

    def tracker(self, sender: str) -> dict:
        return self.trackers.setdefault(sender, {"sender_id": sender, "events": [], "paused": False})

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body["message"])
        t = self.tracker(body["sender"])
        t["events"].append({"event": "user", "text": body["message"], "timestamp": time.time(),
                            "message_id": body.get("message_id"), "metadata": body.get("metadata") or {}})
        answer = {"text": "【个体工商户年报】\n每年1月1日至6月30日报送上一年度年度报告。",
                  "custom": {"topic": "compliance", "title": "个体工商户年报", "kb_ids": [], "citations": []}}
        t["events"].append({"event": "bot", "text": answer["text"], "timestamp": time.time(), "metadata": {},
                            "data": {"custom": answer["custom"]}})
        return web.json_response([{"recipient_id": body["sender"], **answer}])

    async def get_tracker(self, request: web.Request) -> web.Response:
        return web.json_response(self.tracker(request.match_info["sender"]))

    async def append(self, request: web.Request) -> web.Response:
        t = self.tracker(request.match_info["sender"])
        events = await request.json()
        t["events"].extend(events if isinstance(events, list) else [events])
        return web.json_response(t)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", lambda r: web.Response(text="Hello from Rasa: fake"))
        app.router.add_post("/webhooks/card/webhook", self.webhook)
        app.router.add_get("/conversations/{sender}/tracker", self.get_tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", self.append)
        return app


def _socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def front(tmp_path):
    rasa = FakeRasa()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    rasa_sock, front_sock = _socket(), _socket()
    url = f"http://127.0.0.1:{front_sock.getsockname()[1]}"
    settings = Settings(host="127.0.0.1", port=front_sock.getsockname()[1], public_url=url,
                        rasa_urls=[f"http://127.0.0.1:{rasa_sock.getsockname()[1]}"], rasa_token="",
                        database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key="registrant-browser-key",
                        registration_secret=SECRET, rate_limit_per_minute=1000, wechat_token="")
    runners: list[web.AppRunner] = []

    async def start():
        app = create_app(settings)
        app["kb"] = KnowledgeBase.from_files()
        for a, sock in ((rasa.app(), rasa_sock), (app, front_sock)):
            runner = web.AppRunner(a, access_log=None)
            await runner.setup()
            await web.SockSite(runner, sock).start()
            runners.append(runner)
        return app

    async def stop():
        for runner in reversed(runners):
            await runner.cleanup()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await app["rasa"].close()

    app = asyncio.run_coroutine_threadsafe(start(), loop).result(60)
    yield url, rasa, lambda coro: asyncio.run_coroutine_threadsafe(coro, loop).result(30)
    asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


async def register(url: str, data: dict) -> dict:
    body = json.dumps(data, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Timestamp": timestamp,
               "X-Signature": sign_request(SECRET, timestamp, body)}  # timestamp + "." + body, as the door checks
    async with aiohttp.ClientSession() as s, s.post(f"{url}/api/registrations", data=body, headers=headers) as r:
        assert r.status == 201, await r.text()
        return await r.json()


def test_the_registrant_opens_the_qr_link_and_reads_the_first_push(front):
    url, rasa, call = front
    answer = call(register(url, NOODLE_SHOP))
    assert answer["kind"] == "个体工商户" and answer["industries"] == ["餐饮"]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 400, "height": 860}, device_scale_factor=2,
                                      locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(answer["link"])  # what the QR code encodes (tests/web checks the symbol module by module)
        assert page.url == url + "/"  # the token is dropped from the address bar

        first = page.locator(".msg.bot").filter(has=page.locator(".card-title", has_text="开业合规提醒"))
        expect(first).to_be_visible()
        text = first.locator(".card-text")
        expect(text).to_contain_text("南宁市青秀区老友记粉店（个体工商户 · 餐饮）")
        expect(text).to_contain_text("开业先做好这5件事")
        expect(text).to_contain_text("食品安全法第三十五条")
        year = dt.datetime.now(CHINA).year  # registered today
        expect(text).to_contain_text(f"首次年报：{year + 1}年1月1日至6月30日报送{year}年度报告，可纸质报送")
        assert len(text.inner_text()) <= 600
        checklist = page.locator(".card-title", has_text="开业30天清单 · 餐饮")
        expect(checklist).to_have_count(1)
        # each card keeps its own buttons under it (the widget attaches replies to their message)
        expect(page.locator(".replies").first.locator(".chip")).to_have_text(["餐饮合规事项清单", "餐饮相关刑事风险",
                                                                              "年报怎么报"])
        quotes = first.locator(".citation-quote")
        expect(quotes.first).to_be_hidden()  # the verbatim articles are one tap away
        html = page.content()
        assert "非法吸收公众存款" not in html
        assert not any(payload in html for payload in PAYLOADS)

        # the first push at the top of the screen, the quick replies below: the README's picture
        page.evaluate("document.getElementById('messages').scrollTop = 0")
        page.wait_for_timeout(300)
        target = os.environ.get("SCREENSHOTS_DIR")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / "registrant.png"))

        # one tap: the payload goes into the conversation, the user sees the button's title
        page.locator(".replies").first.locator(".chip", has_text="年报怎么报").click()
        expect(page.locator(".msg.user .bubble").last).to_have_text("年报怎么报")
        expect(page.locator(".card-title").last).to_have_text("个体工商户年报")
        assert rasa.received == ['/ask_compliance{"kb_id": "guide.annual_report.individual_business"}']
        assert errors == []
        context.close()
        browser.close()
