"""The widget and the staff console in a real headless Chromium (the system's /usr/bin/chromium; none is
downloaded), against the real web front and a fake Rasa over HTTP.

Set SCREENSHOTS_DIR to save widget.png and staff.png there (docs/screenshots/make.py does).
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Page, expect, sync_playwright

from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import StaffUser
from bot.web.staff.auth import hash_password

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
XSS = "<img src=x onerror=alert(1)>"
PASSWORD = "browser test password"

QUESTION = "卖过期食品会被罚多少钱"
CARD_TITLE = "销售超过保质期的食品（市场监管）"
QUOTE = "食品经营者应当按照保证食品安全的要求贮存食品，定期检查库存食品，及时清理变质或者超过保质期的食品。"
CARD = {
    "text": (f"【{CARD_TITLE}】\n"
             "处罚：违法生产经营的食品货值金额不足一万元的，并处五万元以上十万元以下罚款；货值金额一万元以上的，"
             "并处货值金额十倍以上二十倍以下罚款；情节严重的，吊销许可证\n"
             "合规建议：\n1. 本周对全部货架和仓库做一次保质期盘点，过期商品立即下架、单独存放\n"
             "2. 建立临期食品台账，设定提前7天预警、到期当天下架\n"
             "法律依据：《中华人民共和国食品安全法》第五十四条、第一百二十四条（2021-04-29版）\n"
             "以上为合规指引，仅供参考，不构成法律意见；具体以主管部门、法院的认定为准。"),
    "buttons": [{"title": "第一次被查，能不罚吗？", "payload": '/ask_exemption{"violation": "market.food.expired_food"}'},
                {"title": "看法条原文", "payload": "/ask_why"},
                {"title": "转人工", "payload": "/handoff"}],
    "custom": {"topic": "compliance", "kb_ids": ["market.food.expired_food"], "title": CARD_TITLE, "citations": [
        {"law": "中华人民共和国食品安全法", "article": "第五十四条", "quote": QUOTE, "version": "2021-04-29"},
        {"law": "中华人民共和国食品安全法", "article": "第一百二十四条",
         "quote": "（五）生产经营标注虚假生产日期、保质期或者超过保质期的食品、食品添加剂；", "version": "2021-04-29"}]},
}
FOLLOW_UP = {"text": "这是两年内第一次出现这种违法行为吗？",
             "buttons": [{"title": "是第一次", "payload": '/inform{"first_violation":"true"}'},
                         {"title": "不是第一次", "payload": '/inform{"first_violation":"false"}'}]}
HANDOFF = {"text": "【正在为您转接人工】\n已通知热线工作人员，请稍候，工作人员会在这里直接回复您。",
           "custom": {"topic": "handoff", "kb_ids": [], "citations": [], "title": "正在为您转接人工",
                      "data": {"handoff": True}}}


class FakeRasaServer:
    """Rasa's HTTP surface as the front uses it: the card webhook, the tracker, appending events."""

    def __init__(self):
        self.trackers: dict[str, dict] = {}
        self.delay = 0.6  # long enough to see the typing indicator
        self.host_page = ""

    def tracker(self, sender: str) -> dict:
        return self.trackers.setdefault(sender, {"sender_id": sender, "events": [], "paused": False})

    def answer(self, text: str) -> list[dict]:
        if text in ("转人工", "/handoff"):
            return [HANDOFF]
        if text.startswith("/ask_exemption"):
            return [FOLLOW_UP]
        if "<" in text:
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


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def screenshot(page: Page, name: str, full_page: bool = False) -> None:
    target = os.environ.get("SCREENSHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        if full_page:
            page.evaluate("window.scrollTo(0, 0)")  # sticky bars are drawn where the viewport is
        page.screenshot(path=str(Path(target) / name), full_page=full_page)


def phone(browser):
    return browser.new_context(viewport={"width": 400, "height": 860}, device_scale_factor=2, locale="zh-CN",
                               timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True)


def ask(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")


def no_payloads(page: Page) -> None:
    html = page.content()
    for payload in ("ask_exemption", "/ask_why", "/handoff", "first_violation", "/inform"):
        assert payload not in html, payload


# ---------------------------------------------------------------------------------------------- the widget


def test_widget_conversation_cards_quick_replies_history_and_escaping(stack, browser):
    context = phone(browser)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(stack.url + "/")
    expect(page.locator(".msg.bot .bubble").first).to_contain_text("您好！我是合规通")
    expect(page.locator(".chip")).to_have_count(5)

    # ask: typing indicator, then the cited card
    ask(page, QUESTION)
    expect(page.locator(".msg.user .bubble").last).to_have_text(QUESTION)
    expect(page.locator(".msg.typing")).to_be_visible()
    card = page.locator(".msg.bot").filter(has=page.locator(".card-title", has_text=CARD_TITLE))
    expect(card).to_be_visible()
    expect(page.locator(".msg.typing")).to_have_count(0)
    expect(card.locator(".card-text")).to_contain_text("五万元以上十万元以下罚款")
    quote = card.locator(".citation-quote", has_text=QUOTE)
    expect(quote).to_be_hidden()  # collapsed until asked for
    card.locator("summary").click()
    expect(quote).to_be_visible()
    expect(card.locator(".citation-ref").first).to_contain_text("《中华人民共和国食品安全法》第五十四条")
    expect(card.locator(".citation-version").first).to_have_text("（2021-04-29版）")
    expect(page.locator(".chip")).to_have_text(["第一次被查，能不罚吗？", "看法条原文", "转人工"])
    no_payloads(page)
    screenshot(page, "widget.png")

    # tap a quick reply: its title is the user's bubble, its payload is sent and never shown
    page.locator(".chip", has_text="第一次被查，能不罚吗？").click()
    expect(page.locator(".msg.user .bubble").last).to_have_text("第一次被查，能不罚吗？")
    expect(page.locator(".msg.bot .bubble").last).to_have_text(FOLLOW_UP["text"])
    expect(page.locator(".chip")).to_have_text(["是第一次", "不是第一次"])
    sender = page.evaluate("fetch('/api/session').then(r => r.json()).then(d => d.sender_id)")
    user_texts = [e["text"] for e in stack.rasa.trackers[sender]["events"] if e["event"] == "user"]
    assert user_texts == [QUESTION, CARD["buttons"][0]["payload"]]
    no_payloads(page)

    # reload: the history comes back from the tracker, payloads still hidden, no duplicates
    page.wait_for_timeout(2000)  # let the post-answer sync poll run first
    assert page.locator(".msg.user").count() == 2
    page.reload()
    expect(page.locator(".msg.user .bubble")).to_have_text([QUESTION, "第一次被查，能不罚吗？"])
    expect(page.locator(".card-title")).to_have_text([CARD_TITLE])
    expect(page.locator(".msg.bot .bubble").last).to_have_text(FOLLOW_UP["text"])
    expect(page.locator(".chip")).to_have_text(["是第一次", "不是第一次"])
    no_payloads(page)

    # markup is shown as text, in the user's bubble and in the bot's echo
    ask(page, XSS)
    expect(page.locator(".msg.user .bubble").last).to_have_text(XSS)
    expect(page.locator(".msg.bot .bubble").last).to_have_text(f"收到您的消息：{XSS}")
    assert page.locator("#messages img").count() == 0
    page.reload()
    expect(page.locator(".msg.user .bubble").last).to_have_text(XSS)
    page.wait_for_timeout(500)
    assert page.locator("img").count() == 0
    assert dialogs == [] and errors == []
    context.close()


def test_widget_says_clearly_when_the_server_is_unreachable_or_busy(stack, browser):
    context = phone(browser)
    page = context.new_page()
    page.goto(stack.url + "/")
    expect(page.locator(".chip").first).to_be_visible()

    page.route("**/api/messages", lambda route: route.fulfill(
        status=429, content_type="application/json", headers={"Retry-After": "7"},
        body=json.dumps({"error": "发送太频繁，请稍后再试", "retry_after": 6.2})))
    ask(page, QUESTION)
    expect(page.locator(".sys.error").last).to_have_text("发送太频繁，请 7 秒后再试。")
    expect(page.locator(".msg.user.failed .retry")).to_have_text("发送失败，点此重发")

    page.unroute("**/api/messages")
    page.route("**/api/messages", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": "合规通暂时无法连接，请稍后再试；紧急问题可拨打12345政务服务便民热线。"})))
    ask(page, "第二个问题")
    expect(page.locator(".sys.error").last).to_contain_text("合规通暂时无法连接")

    page.unroute("**/api/messages")
    page.route("**/api/messages", lambda route: route.fulfill(status=502, body="<html>Bad gateway</html>"))
    ask(page, "第三个问题")
    expect(page.locator(".sys.error").last).to_contain_text("合规通暂时无法连接")

    page.unroute("**/api/messages")
    page.route("**/api/messages", lambda route: route.abort("connectionrefused"))
    ask(page, "第四个问题")
    expect(page.locator(".sys.error").last).to_have_text("网络连接失败，请检查网络后重试。")

    # back online: resending the first one works
    page.unroute("**/api/messages")
    page.locator(".msg.user.failed .retry").first.click()
    expect(page.locator(".card-title")).to_have_text([CARD_TITLE])
    context.close()


def test_a_signed_link_opens_its_conversation(stack, browser):
    from bot.web.links import sign_sender

    stack.rasa.tracker("reg-demo")["events"].append(
        {"event": "bot", "text": "您的企业已完成登记，这是为您整理的经营合规要点。", "timestamp": time.time(),
         "metadata": {"source": "registration"}, "data": {}})
    context = phone(browser)
    page = context.new_page()
    page.goto(f"{stack.url}/?t={sign_sender(stack.settings.secret_key, 'reg-demo', 600)}")
    assert page.url == stack.url + "/"
    expect(page.locator(".msg.bot .bubble")).to_have_text(["您的企业已完成登记，这是为您整理的经营合规要点。"])
    page.goto(f"{stack.url}/?t=forged.token")
    expect(page.locator(".notice")).to_contain_text("链接已过期或无效")
    assert "t=" not in page.url
    expect(page.locator(".msg.bot .bubble")).to_have_count(1)  # still the same conversation
    context.close()


def test_embed_script_opens_the_widget_in_an_iframe(stack, browser):
    # the host page is another site (localhost vs 127.0.0.1): the iframe gets no SameSite cookie, only its token
    stack.rasa.host_page = (f'<!doctype html><meta charset="utf-8"><title>某行业协会</title><p>某行业协会网站</p>'
                            f'<script src="{stack.url}/embed.js" data-remember="1" async></script>')
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(stack.rasa_url.replace("127.0.0.1", "localhost") + "/host.html")
    button = page.get_by_role("button", name="在线咨询")
    expect(button).to_be_visible()
    button.click()
    frame = page.frame_locator("iframe[title='合规通在线咨询']")
    expect(frame.locator(".msg.bot .bubble").first).to_contain_text("您好！我是合规通")
    frame.locator("#input").fill(QUESTION)
    frame.locator("#input").press("Enter")
    expect(frame.locator(".card-title")).to_have_text([CARD_TITLE])
    frame.locator("#chat-close").click()
    expect(page.locator("iframe[title='合规通在线咨询']")).to_be_hidden()
    # a new visit to the host page: the conversation is still there, even in a browser that gives the iframe
    # neither its cookie nor storage (headless Chromium here: the host keeps the token, data-remember)
    page.reload()
    page.get_by_role("button", name="在线咨询").click()
    frame = page.frame_locator("iframe[title='合规通在线咨询']")
    expect(frame.locator(".card-title")).to_have_text([CARD_TITLE])
    expect(frame.locator(".msg.user .bubble")).to_have_text([QUESTION])
    context.close()


# ---------------------------------------------------------------------------------------------- the staff console


def test_handoff_from_the_widget_to_an_agent_and_back(stack, browser):
    stack.add_staff("wangfang", "王芳")
    user_ctx = phone(browser)
    user = user_ctx.new_page()
    user.goto(stack.url + "/")
    ask(user, QUESTION)
    expect(user.locator(".card-title")).to_have_text([CARD_TITLE])
    user.locator(".chip", has_text="转人工").click()
    expect(user.locator("#handoff-bar")).to_contain_text("已为您转接人工客服")
    expect(user.locator(".sys").last).to_contain_text("第 1 位")  # the place in the queue, told once
    notices = user.locator(".sys").count()
    ask(user, f"我的电话是13812345678，{XSS}")
    expect(user.locator(".msg.user .bubble").last).to_contain_text("我的电话是13812345678")
    expect(user.locator(".msg.typing")).to_have_count(0)
    assert user.locator(".sys").count() == notices  # no grey notice repeated for each message

    staff_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                    timezone_id="Asia/Shanghai")
    agent = staff_ctx.new_page()
    dialogs: list[str] = []
    agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    agent.goto(stack.url + "/staff/")
    assert "/staff/login" in agent.url
    agent.fill("input[name=username]", "wangfang")
    agent.fill("input[name=password]", "wrong password")
    agent.click("button[type=submit]")
    expect(agent.locator("#login-error")).to_contain_text("用户名或密码错误")
    agent.fill("input[name=password]", PASSWORD)
    agent.click("button[type=submit]")
    expect(agent.locator("h2").first).to_contain_text("排队等待人工的对话")
    queue_row = agent.locator("table.list tbody tr").first
    expect(queue_row).to_contain_text("138****5678")  # masked in the list
    expect(agent.locator("#queue-badge")).to_have_text("1")
    assert "13812345678" not in agent.content()

    queue_row.locator("a", has_text="查看").click()
    expect(agent.locator(".turn.user .bubble").last).to_have_text(f"我的电话是13812345678，{XSS}")
    agent.locator("#take").click()
    expect(agent.locator(".flash")).to_contain_text("已接管")
    agent.fill("#reply-text", "您好，罚款可以申请延期或分期缴纳，我把办理材料发给您。")
    agent.locator("form.reply button[type=submit]").click()
    expect(agent.locator(".turn.agent .bubble").last).to_have_text("您好，罚款可以申请延期或分期缴纳，我把办理材料发给您。")
    card = agent.locator(".turn.bot").filter(has=agent.locator(".card-title", has_text=CARD_TITLE))
    card.locator("summary", has_text="法律依据原文").click()
    expect(card.locator("blockquote", has_text=QUOTE)).to_be_visible()
    assert agent.locator(".transcript img").count() == 0 and dialogs == []
    screenshot(agent, "staff.png", full_page=True)

    # the user sees the agent's replies by polling, with the agent's name
    expect(user.locator(".msg.agent .bubble").last).to_have_text(
        "您好，罚款可以申请延期或分期缴纳，我把办理材料发给您。", timeout=15000)
    expect(user.locator(".msg.agent .who").last).to_have_text("人工客服 · 王芳")
    expect(user.locator("#handoff-bar")).to_contain_text("人工客服已接入")

    # hand back: the user is told, and the assistant answers again
    agent.locator("#handback").click()
    expect(agent.locator(".flash")).to_contain_text("已交还智能助手")
    expect(user.locator(".sys").last).to_contain_text("人工服务已结束", timeout=15000)
    expect(user.locator("#handoff-bar")).to_be_hidden()
    ask(user, QUESTION)
    expect(user.locator(".card-title")).to_have_count(2)
    assert re.search(r"/staff/conversations/w-", agent.url)
    user_ctx.close()
    staff_ctx.close()


def test_agent_assist_in_the_browser(stack, browser):
    from bot.web.staff import assist

    class Hit:
        record_id, type, title, score, matched = "market.food.expired_food", "compliance_item", "销售超过保质期的食品", 1.35, ()

    class Searcher:
        kb = None

        def search(self, q, k=5):
            return [Hit()]

    stack.front[assist.KB_KEY]["searcher"] = Searcher()
    stack.add_staff("lifang", "李芳")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page = context.new_page()
    page.goto(stack.url + "/staff/assist")
    page.fill("input[name=username]", "lifang")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    assert page.url.endswith("/staff/assist")
    page.fill("#question", QUESTION)
    page.click("#assist-submit")
    expect(page.locator("#answers .card-title")).to_have_text(CARD_TITLE)
    expect(page.locator("#hits li b")).to_have_text(["销售超过保质期的食品"])
    page.click("#copy-answer")
    expect(page.locator("#copy-answer")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == CARD["text"]
    context.close()
