"""What the browser tests share: a fake Rasa over HTTP, the real web front beside it, Chromium, axe-core, screenshots.

The front is the real application (bot/web/app.py) on a free port; Rasa is a small aiohttp app that answers like the
assistant does (cards in the actions/cards.py layout, a form question with quick replies, a hand-off card that
pauses the conversation). Chromium is the system's /usr/bin/chromium (`make browser-deps`); none is downloaded.
axe-core is vendored in tests/browser/vendor (see its README).
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from pathlib import Path

from aiohttp import web
from playwright.sync_api import Frame, FrameLocator, Page

from actions.cards import Card, Section
from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import StaffUser
from bot.web.staff.auth import hash_password

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
XSS = "<img src=x onerror=alert(1)>"
PASSWORD = "browser test password"

QUESTION = "卖过期食品会被罚多少钱"
CARD_TITLE = "销售超过保质期的食品（市场监管）"
QUOTE = "食品经营者应当按照保证食品安全的要求贮存食品，定期检查库存食品，及时清理变质或者超过保质期的食品。"
CITATIONS = [
    {"law": "中华人民共和国食品安全法", "article": "第五十四条", "quote": QUOTE, "version": "2021-04-29"},
    {"law": "中华人民共和国食品安全法", "article": "第一百二十四条",
     "quote": "（五）生产经营标注虚假生产日期、保质期或者超过保质期的食品、食品添加剂；", "version": "2021-04-29"}]
BUTTONS = [{"title": "第一次被查，能不罚吗？", "payload": '/ask_exemption{"violation": "market.food.expired_food"}'},
           {"title": "看法条原文", "payload": "/ask_why"},
           {"title": "转人工", "payload": "/handoff"}]
VERDICT = "处罚：没收违法所得和违法生产经营的食品，货值金额不足一万元的，并处五万元以上十万元以下罚款（《中华人民共和国食品安全法》第一百二十四条）"


def _card(card: Card) -> dict:
    """A message as the assistant sends it: the card's text, buttons and custom (the one layout of actions/cards.py)."""
    return {"text": card.text(), "buttons": card.buttons, "custom": card.custom()}


CARD = _card(Card(
    topic="compliance", title=CARD_TITLE,
    body=[VERDICT, "能否免罚：可能适用首违不罚（初次违法、危害后果轻微并及时改正的，可以不予处罚）。"],
    sections=[Section("违法行为", ["销售超过保质期的食品", "典型表现：货架上有过期食品；过期食品未及时下架"]),
              Section("合规建议", ["1. 本周对全部货架和仓库做一次保质期盘点，过期商品立即下架、单独存放",
                                   "2. 建立临期食品台账，设定提前7天预警、到期当天下架"]),
              Section("能否免罚", ["初次违法、危害后果轻微并及时改正的，可以不予行政处罚。"])],
    kb_ids=["market.food.expired_food"], citations=CITATIONS, buttons=BUTTONS))
FOLLOW_UP = {"text": "这是两年内第一次出现这种违法行为吗？",
             "buttons": [{"title": "是第一次", "payload": '/inform{"first_violation":"true"}'},
                         {"title": "不是第一次", "payload": '/inform{"first_violation":"false"}'}]}
HARM_QUESTION = {"text": "有没有造成危害后果（比如顾客受损、被投诉、有人受伤）？",
                 "buttons": [{"title": "没有造成后果", "payload": '/inform{"harm":"none"}'},
                             {"title": "后果轻微", "payload": '/inform{"harm":"minor"}'}]}
HANDOFF = {"text": "【正在为您转接人工】\n已通知热线工作人员，请稍候，工作人员会在这里直接回复您。",
           "custom": {"topic": "handoff", "kb_ids": [], "citations": [], "title": "正在为您转接人工",
                      "data": {"handoff": True}}}
LONG_QUESTION = "被列入经营异常名录了怎么移出"


def long_card() -> dict:
    """The credit-repair answer for 经营异常名录 as the real action writes it (two procedures): the longest card."""
    from actions.credit_repair import repair_card
    from actions.kb import get_kb

    kb = get_kb()
    procs = [kb.records["credit.abnormal.annual_report"], kb.records["credit.abnormal.address_unreachable"]]
    others = [r for r in kb.records.values() if getattr(r, "issue", None) == "经营异常名录" and r not in procs]
    return _card(repair_card(procs, others))


class FakeRasaServer:
    """Rasa's HTTP surface as the front uses it: the card webhook, the tracker, appending events."""

    def __init__(self):
        self.trackers: dict[str, dict] = {}
        self.delay = 0.6  # long enough to see the typing indicator
        self.host_page = ""
        self.long_card: dict | None = None

    def tracker(self, sender: str) -> dict:
        return self.trackers.setdefault(sender, {"sender_id": sender, "events": [], "paused": False})

    def user_texts(self, sender: str) -> list[str]:
        return [e["text"] for e in self.tracker(sender)["events"] if e["event"] == "user"]

    def answer(self, text: str) -> list[dict]:
        if text in ("转人工", "/handoff"):
            return [HANDOFF]
        if text.startswith("/ask_exemption") or text == "第一次被查能不罚吗":
            return [FOLLOW_UP]
        if text.startswith('/inform{"first_violation"'):
            return [HARM_QUESTION]
        if text == LONG_QUESTION and self.long_card:
            return [self.long_card]
        if "<" in text or text.startswith("/inform"):
            return [{"text": f"收到您的消息：{text}"}]
        return [CARD]

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, text = body["sender"], body["message"]
        await asyncio.sleep(self.delay)
        t = self.tracker(sender)
        t["events"].append({"event": "user", "text": text, "timestamp": time.time(),
                            "message_id": body.get("message_id"), "metadata": body.get("metadata") or {}})
        if t["paused"]:
            return web.json_response([])
        out = []
        for m in self.answer(text):
            t["events"].append({"event": "bot", "text": m["text"], "timestamp": time.time(), "metadata": {},
                                "data": {"buttons": m.get("buttons"), "custom": m.get("custom")}})
            out.append({"recipient_id": sender, **m})
            if (m.get("custom") or {}).get("topic") == "handoff":
                t["paused"] = True
        return web.json_response(out)

    async def get_tracker(self, request: web.Request) -> web.Response:
        return web.json_response(self.tracker(request.match_info["sender"]))

    async def append(self, request: web.Request) -> web.Response:
        t = self.tracker(request.match_info["sender"])
        events = await request.json()
        for e in events if isinstance(events, list) else [events]:
            t["paused"] = {"pause": True, "resume": False}.get(e["event"], t["paused"])
            t["events"].append(e)
        return web.json_response(t)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", lambda r: web.Response(text="Hello from Rasa: fake"))
        # a third-party page that embeds the widget (the browser test visits it as http://localhost:<port>)
        app.router.add_get("/host.html", lambda r: web.Response(text=self.host_page, content_type="text/html"))
        app.router.add_post("/webhooks/card/webhook", self.webhook)
        app.router.add_get("/conversations/{sender}/tracker", self.get_tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", self.append)
        return app


def _socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class Stack:
    """The fake Rasa and the real front, served from one event loop in a background thread."""

    def __init__(self, tmp: Path):
        self.rasa = FakeRasaServer()
        self.loop = asyncio.new_event_loop()
        self.runners: list[web.AppRunner] = []
        rasa_sock, front_sock = _socket(), _socket()
        self.rasa_url = f"http://127.0.0.1:{rasa_sock.getsockname()[1]}"
        port = front_sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.settings = Settings(host="127.0.0.1", port=port, public_url=self.url, rasa_urls=[self.rasa_url],
                                 rasa_token="", database_url=f"sqlite:///{tmp / 'web.db'}",
                                 secret_key="browser-test-key", rate_limit_per_minute=1000)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.front = self.call(self._start(rasa_sock, front_sock))

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self, rasa_sock, front_sock) -> web.Application:
        front = create_app(self.settings)
        for app, sock in ((self.rasa.app(), rasa_sock), (front, front_sock)):
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.SockSite(runner, sock).start()
            self.runners.append(runner)
        return front

    async def _stop(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()
        # connections the browser kept alive: end their handlers before the loop goes
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.front["rasa"].close()  # a turn cut short by the shutdown may have opened a new session

    def close(self) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def add_staff(self, username: str, name: str) -> None:
        with self.front["db"].session() as s, s.begin():
            s.add(StaffUser(username=username, display_name=name, password_hash=hash_password(PASSWORD)))

    def deliver(self, sender: str, text: str, agent: str | None = None, direction: str = "agent") -> None:
        """A message put into the conversation from outside Rasa (an agent's reply, a notice)."""
        from bot.web.delivery import deliver

        self.call(deliver(self.front, sender, text, agent=agent, direction=direction))


# ---------------------------------------------------------------------------------------------- pages


def phone(browser, **extra):
    """A 390×844 phone (the size of the issue's measurements)."""
    return browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN",
                               timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True, **extra)


def desktop(browser, **extra):
    return browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai",
                               **extra)


def ask(page: Page | Frame | FrameLocator, text: str) -> None:
    page.locator("#input").fill(text)
    page.locator("#input").press("Enter")


def sender_of(page: Page) -> str:
    return page.evaluate("fetch('/api/session').then(r => r.json()).then(d => d.sender_id)")


def login(page: Page, base: str, username: str, path: str = "/staff/") -> None:
    page.goto(base + path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def no_payloads(page: Page) -> None:
    html = page.content()
    for payload in ("ask_exemption", "/ask_why", "/handoff", "first_violation", "/inform"):
        assert payload not in html, payload


def screenshot_dir() -> Path | None:
    """docs/screenshots (the README's pictures come from the test run), or SCREENSHOTS_DIR; "" turns them off."""
    target = os.environ.get("SCREENSHOTS_DIR")
    if target == "":
        return None
    path = Path(target) if target else ROOT / "docs" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def screenshot(page: Page, name: str, full_page: bool = False) -> None:
    target = screenshot_dir()
    if target:
        if full_page:
            page.evaluate("window.scrollTo(0, 0)")  # sticky bars are drawn where the viewport is
        page.screenshot(path=str(target / name), full_page=full_page, animations="disabled", caret="initial")


# ---------------------------------------------------------------------------------------------- axe-core

SERIOUS = ("serious", "critical")


def axe(target: Page | Frame, context: str | dict | None = None) -> list[dict]:
    """axe-core's violations (WCAG 2.0/2.1 A and AA, and best practices) on a page or a frame.

    The page's own Content-Security-Policy would refuse the injected script: contexts that run axe are opened with
    ``bypass_csp=True``.
    """
    if not target.evaluate("typeof window.axe !== 'undefined'"):
        target.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"], "iframes": False}
    return target.evaluate("([context, options]) => axe.run(context || document, options).then(r => r.violations)",
                           [context, options])


def assert_accessible(target: Page | Frame, what: str, context: str | dict | None = None) -> list[dict]:
    """No serious or critical axe violation; returns the minor and moderate ones (printed for the log)."""
    violations = axe(target, context)
    bad = [v for v in violations if v["impact"] in SERIOUS]
    detail = json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                          "nodes": [n["target"] for n in v["nodes"]][:5]} for v in bad], ensure_ascii=False, indent=1)
    assert not bad, f"{what}: axe-core found serious or critical violations:\n{detail}"
    minor = [(v["id"], v["impact"], len(v["nodes"])) for v in violations]
    if minor:
        print(f"{what}: axe-core minor/moderate: {minor}")
    return violations
