"""The hotline staff console: log-in, CSRF, lock-out, the guard on every route, take over / reply / hand back,
feedback, the unanswered view, agent assist, masking, and the account CLI."""
from __future__ import annotations

import html
import io
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web

from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import Conversation, Feedback, LoginFailure, StaffUser, TurnLog
from bot.web.staff import __main__ as cli
from bot.web.staff import assist, auth
from tests.web.fakes import FakeRasa

KEY = "staff-test-secret"
PASSWORD = "correct horse battery"
PHONE = "13812345678"
ID_CARD = "45010219900101123X"
CREDIT = "91450100MA5KB1234F"
CITATIONS = [{"law": "中华人民共和国食品安全法", "article": "第一百二十四条",
              "quote": "（五）生产经营标注虚假生产日期、保质期或者超过保质期的食品、食品添加剂；", "version": "2021-04-29"}]


def card(sender: str, text: str) -> list[dict]:
    if text == "转人工":
        return [{"recipient_id": sender, "text": "【正在为您转接人工】\n请稍候。",
                 "custom": {"topic": "handoff", "kb_ids": [], "citations": [], "title": "正在为您转接人工",
                            "data": {"handoff": True}}}]
    if "看不懂" in text:
        return [{"recipient_id": sender, "text": "抱歉，我不太确定您想问哪方面。",
                 "custom": {"topic": "smalltalk", "kb_ids": [], "citations": [], "data": {"fallback": True}}}]
    return [{"recipient_id": sender, "text": "【销售超过保质期的食品】\n处罚：五万元以上十万元以下罚款",
             "buttons": [{"title": "看法条原文", "payload": "/ask_why"}],
             "custom": {"topic": "compliance", "kb_ids": ["market.food.expired_food"], "citations": CITATIONS,
                        "title": "销售超过保质期的食品"}}]


@dataclass(frozen=True)
class FakeHit:
    record_id: str
    type: str
    title: str
    score: float
    matched: tuple = ()


class FakeKB:
    def citations_of(self, ids):
        return CITATIONS if "market.food.expired_food" in ids else []


class FakeSearcher:
    kb = FakeKB()

    def search(self, query, k=5):
        return [FakeHit("market.food.expired_food", "compliance_item", "销售超过保质期的食品", 1.35, ("过期食品",)),
                FakeHit("market.food.no_licence", "compliance_item", "未取得食品经营许可从事食品经营", 0.23)][:k]


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def rasa():
    return FakeRasa(answer=card)


@pytest.fixture
def app(tmp_path, rasa):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key=KEY, rate_limit_per_minute=1000)
    app = create_app(settings, rasa=rasa)
    app[assist.KB_KEY]["searcher"] = FakeSearcher()

    def users(s):
        s.add(StaffUser(username="wangfang", display_name="王芳", password_hash=auth.hash_password(PASSWORD)))
        s.add(StaffUser(username="admin", display_name="李主任", role="admin",
                        password_hash=auth.hash_password(PASSWORD)))

    with app["db"].session() as s, s.begin():
        users(s)
    return app


@pytest.fixture
async def client(aiohttp_client, app):
    return await aiohttp_client(app)


def csrf_in(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, "no CSRF field on the page"
    return m.group(1)


async def login_form(client) -> str:
    resp = await client.get("/staff/login")
    assert resp.status == 200
    return csrf_in(await resp.text())


async def login(client, username="wangfang", password=PASSWORD, next_path=None, source=None):
    """Log in; ``source`` is the client address a trusted proxy reports (apps with TRUSTED_PROXIES=127.0.0.1)."""
    token = await login_form(client)
    data = {"csrf": token, "username": username, "password": password}
    if next_path is not None:
        data["next"] = next_path
    headers = {"X-Forwarded-For": source} if source else {}
    return await client.post("/staff/login", data=data, allow_redirects=False, headers=headers)


@pytest.fixture
async def staff(client):
    """A logged-in client; returns (client, csrf token)."""
    resp = await login(client)
    assert resp.status == 303
    page = await (await client.get("/staff/")).text()
    return client, csrf_in(page)


async def user_says(client, sender: str, text: str):
    resp = await client.post("/api/messages", json={"sender": sender, "message": text, "channel": "widget"})
    assert resp.status == 200
    return await resp.json()


# ---------------------------------------------------------------------------------------------- log in / out


async def test_login_and_logout(client):
    resp = await login(client)
    assert resp.status == 303 and resp.headers["Location"] == "/staff/"
    page = await client.get("/staff/")
    assert page.status == 200
    text = await page.text()
    assert "王芳" in text and "排队等待人工的对话" in text
    resp = await client.post("/staff/logout", data={"csrf": csrf_in(text)}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/staff/login"
    again = await client.get("/staff/", allow_redirects=False)
    assert again.status == 303 and again.headers["Location"].startswith("/staff/login")
    assert "您已退出登录" in await (await client.get("/staff/login")).text()


async def test_login_goes_back_to_the_page_asked_for_but_never_off_site(client):
    resp = await client.get("/staff/unanswered?days=7", allow_redirects=False)
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/staff/login" and parse_qs(location.query)["next"] == ["/staff/unanswered?days=7"]
    resp = await login(client, next_path="/staff/unanswered?days=7")
    assert resp.headers["Location"] == "/staff/unanswered?days=7"
    for evil in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/api/session", "/staff/login"]:
        await client.post("/staff/logout", data={"csrf": csrf_in(await (await client.get("/staff/")).text())})
        resp = await login(client, next_path=evil)
        assert resp.headers["Location"] == "/staff/", evil


async def test_wrong_password_and_unknown_user_say_the_same(client):
    for username in ("wangfang", "nobody"):
        resp = await login(client, username=username, password="wrong password")
        assert resp.status == 401
        assert "用户名或密码错误" in await resp.text()
    resp = await login(client, username="", password="")
    assert resp.status == 400 and "请输入用户名和密码" in await resp.text()


async def test_login_needs_the_csrf_token(client):
    await login_form(client)
    for data in ({"username": "wangfang", "password": PASSWORD},
                 {"username": "wangfang", "password": PASSWORD, "csrf": "forged-token-forged-token"}):
        resp = await client.post("/staff/login", data=data, allow_redirects=False)
        assert resp.status == 403
        assert "安全校验未通过" in await resp.text()
    resp = await client.post("/staff/login", json={"username": "wangfang", "password": PASSWORD},
                             allow_redirects=False)
    assert resp.status == 403


async def test_lock_out_after_five_failures_for_fifteen_minutes(client, app, monkeypatch):
    for i in range(auth.MAX_FAILED_LOGINS - 1):
        resp = await login(client, password=f"wrong {i}")
        assert resp.status == 401
    resp = await login(client, password="wrong again")
    assert resp.status == 429
    text = await resp.text()
    assert "已暂停登录 15 分钟" in text and "联系管理员" in text
    # the right password does not open a locked account
    resp = await login(client)
    assert resp.status == 429
    # another account is not affected
    assert (await login(client, username="admin")).status == 303

    real = time.time
    monkeypatch.setattr(auth, "_now", lambda: real() + 14 * 60)
    assert (await login(client)).status == 429
    monkeypatch.setattr(auth, "_now", lambda: real() + 16 * 60)
    assert (await login(client)).status == 303


async def test_a_success_resets_the_failure_count(client, app):
    for _ in range(3):
        await login(client, password="nope")
    assert (await login(client)).status == 303
    for _ in range(auth.MAX_FAILED_LOGINS - 1):  # the count starts again from zero
        assert (await login(client, password="nope")).status == 401


async def test_unknown_names_answer_exactly_like_real_ones_all_the_way_to_the_lock(client):
    answers = {}
    for username in ("wangfang", "nobody-here"):
        seen = []
        for i in range(auth.MAX_FAILED_LOGINS + 1):
            resp = await login(client, username=username, password=f"guess {i}")
            page = html.unescape(await resp.text())
            message = re.search(r'id="login-error">([^<]+)<', page)
            seen.append((resp.status, re.sub(r"\d\d:\d\d", "HH:MM", message.group(1) if message else page[:80])))
        answers[username] = seen
    assert answers["wangfang"] == answers["nobody-here"]
    assert [status for status, _ in answers["wangfang"]] == [401] * 4 + [429, 429]


@pytest.fixture
async def proxied(aiohttp_client, tmp_path, rasa):
    """The console behind a reverse proxy on 127.0.0.1 that reports each client's address."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'proxied.db'}", secret_key=KEY,
                        rate_limit_per_minute=1000, trusted_proxies=["127.0.0.1"])
    app = create_app(settings, rasa=rasa)
    with app["db"].session() as s, s.begin():
        s.add(StaffUser(username="wangfang", display_name="王芳", password_hash=auth.hash_password(PASSWORD)))
    return await aiohttp_client(app)


async def test_five_posts_from_one_address_do_not_lock_the_colleague_out_elsewhere(proxied):
    attacker, office = "198.51.100.66", "203.0.113.10"
    statuses = [(await login(proxied, password=f"guess {i}", source=attacker)).status for i in range(6)]
    assert statuses == [401] * 4 + [429, 429]
    assert (await login(proxied, source=office)).status == 303  # the real user, from the office


async def test_an_account_guessed_from_many_addresses_is_locked_for_everyone(proxied, monkeypatch):
    monkeypatch.setattr(auth, "MAX_ACCOUNT_FAILURES", 8)  # the rule, with a quicker threshold than 20
    for i in range(auth.MAX_ACCOUNT_FAILURES):
        resp = await login(proxied, password="guess", source=f"198.51.100.{i + 1}")
    assert resp.status == 429
    assert (await login(proxied, source="203.0.113.10")).status == 429


async def test_one_address_guessing_many_names_is_locked(proxied, monkeypatch):
    monkeypatch.setattr(auth, "MAX_SOURCE_FAILURES", 8)
    attacker = "198.51.100.77"
    for i in range(auth.MAX_SOURCE_FAILURES):
        resp = await login(proxied, username=f"name{i}", password="guess", source=attacker)
    assert resp.status == 429
    assert (await login(proxied, source=attacker)).status == 429  # even the right password, from there
    assert (await login(proxied, source="203.0.113.10")).status == 303


async def test_logout_ends_the_session_for_a_copied_cookie_too(aiohttp_client, app):
    first = await aiohttp_client(app)
    assert (await login(first)).status == 303
    page = await (await first.get("/staff/")).text()
    copied = {c.key: c.value for c in first.session.cookie_jar}
    thief = await aiohttp_client(app, cookies=copied)
    assert (await thief.get("/staff/", allow_redirects=False)).status == 200
    resp = await first.post("/staff/logout", data={"csrf": csrf_in(page)}, allow_redirects=False)
    assert resp.status == 303
    resp = await thief.get("/staff/", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/staff/login")
    assert (await thief.get("/staff/api/queue")).status == 401


@pytest.mark.parametrize("public_url, setting, secure", [
    ("http://127.0.0.1:8080", None, False), ("https://hegui.example", None, True),
    ("http://127.0.0.1:8080", True, True), ("https://hegui.example", False, False)])
async def test_the_session_cookie_is_secure_behind_tls(aiohttp_client, tmp_path, rasa, public_url, setting, secure):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", secret_key=KEY, public_url=public_url,
                        **({} if setting is None else {"session_cookie_secure": setting}))
    client = await aiohttp_client(create_app(settings, rasa=rasa))
    resp = await client.get("/api/session")
    cookie = resp.headers["Set-Cookie"]
    assert ("Secure" in cookie) is secure and "HttpOnly" in cookie


async def test_a_disabled_account_loses_its_session(staff, app):
    client, _ = staff

    def disable(s):
        s.query(StaffUser).filter_by(username="wangfang").one().active = False

    await app["db"].run(disable)
    resp = await client.get("/staff/", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/staff/login")


# ---------------------------------------------------------------------------------------------- every route is guarded


def staff_routes(app: web.Application) -> list[tuple[str, str]]:
    out = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix") or ""
        if not (path == "/staff" or path.startswith("/staff/")):
            continue
        if path == auth.LOGIN_PATH:
            continue
        out.append((route.method, path.replace("{sender}", "w-abc")))
    return sorted(set(out))


def test_the_console_has_the_routes_the_guard_test_walks(app):
    routes = staff_routes(app)
    assert len(routes) >= 20
    assert ("POST", "/staff/conversations/w-abc/take") in routes and ("GET", "/staff/api/queue") in routes
    assert not any(path.startswith("/static") for _, path in routes)


async def assert_refused(client, app, expired: bool):
    saved = {c.key: c.value for c in client.session.cookie_jar}
    for method, path in staff_routes(app):
        # every request carries the same (expired or anonymous) session: a refusal may rewrite the cookie
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies(saved, client.make_url("/"))
        resp = await client.request(method, path, allow_redirects=False, data={"text": "hi"} if method == "POST" else None)
        if path.startswith("/staff/api/"):
            assert resp.status == 401, (method, path, resp.status)
            if method == "HEAD":
                continue
            body = await resp.json()
            assert body["login"] == "/staff/login"
            assert ("过期" in body["error"]) if expired else ("请先登录" in body["error"])
        else:
            assert resp.status in (301, 303), (method, path, resp.status)
            location = resp.headers["Location"]
            if resp.status == 301:  # /staff -> /staff/, itself guarded
                assert location == "/staff/"
                continue
            assert location.startswith("/staff/login"), (method, path, location)


async def test_every_staff_route_refuses_an_anonymous_session(client, app, rasa):
    await assert_refused(client, app, expired=False)
    assert rasa.appended == [] and rasa.sent == []


@pytest.mark.parametrize("hours", [auth.SESSION_IDLE_MINUTES / 60 + 0.1, auth.SESSION_MAX_HOURS + 0.1])
async def test_every_staff_route_refuses_an_expired_session(staff, app, rasa, monkeypatch, hours):
    client, _ = staff
    real = time.time
    monkeypatch.setattr(auth, "_now", lambda: real() + hours * 3600)
    await assert_refused(client, app, expired=True)
    assert rasa.appended == [] and rasa.sent == []


async def test_a_session_stays_alive_while_used(staff, monkeypatch):
    client, _ = staff
    real = time.time
    for step in range(1, 6):  # 5 × 100 minutes of activity, never idle for 2 hours
        monkeypatch.setattr(auth, "_now", lambda step=step: real() + step * 100 * 60)
        assert (await client.get("/staff/", allow_redirects=False)).status == 200
    monkeypatch.setattr(auth, "_now", lambda: real() + (auth.SESSION_MAX_HOURS + 1) * 3600)
    assert (await client.get("/staff/", allow_redirects=False)).status == 303


async def test_every_staff_post_needs_the_csrf_token(staff, app, rasa):
    client, _ = staff
    posts = [path for method, path in staff_routes(app) if method == "POST"]
    assert len(posts) >= 6
    for path in posts:
        resp = await client.post(path, data={"text": "hi", "csrf": "wrong-token-wrong-token"}, allow_redirects=False)
        assert resp.status == 403, path
        resp = await client.post(path, json={"question": "hi"}, allow_redirects=False)
        assert resp.status == 403, path
        if path.startswith("/staff/api/"):
            assert "CSRF" in (await resp.json())["error"]
    assert rasa.appended == [] and rasa.sent == []


async def test_console_pages_cannot_be_framed(staff):
    client, _ = staff
    for path in ("/staff/", "/staff/login", "/staff/conversations"):
        resp = await client.get(path)
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------------------------------------- queue, take over, reply, hand back


async def test_a_request_for_a_human_enters_the_queue(staff, app):
    client, _ = staff
    await user_says(client, "w-queue", f"我的电话是{PHONE}，卖过期食品会被罚多少钱")
    await user_says(client, "w-queue", "转人工")
    conv = await app["db"].run(lambda s: s.get(Conversation, "w-queue"))
    assert conv.status == "queued" and conv.handoff_requested_at is not None
    page = await (await client.get("/staff/")).text()
    assert "w-queue" in page and "等待人工" in page
    assert PHONE not in page and "138****5678" not in page  # the last user message is 转人工
    queue = await (await client.get("/staff/api/queue")).json()
    assert queue["queued"] == 1 and queue["items"][0]["sender_id"] == "w-queue"


async def test_take_over_reply_and_hand_back(staff, app, rasa):
    client, token = staff
    sender = "w-handoff"
    await user_says(client, sender, "卖过期食品会被罚多少钱")

    resp = await client.post(f"/staff/conversations/{sender}/take", data={"csrf": token}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == f"/staff/conversations/{sender}"
    (s1, events1), (s2, events2) = rasa.appended
    assert s1 == s2 == sender
    assert [e["event"] for e in events1] == ["pause"]
    assert events2[0]["event"] == "bot" and events2[0]["metadata"] == {"agent": "王芳"} and "王芳" in events2[0]["text"]
    conv = await app["db"].run(lambda s: s.get(Conversation, sender))
    assert (conv.status, conv.assigned_to) == ("taken", "wangfang")
    assert rasa.trackers[sender]["paused"] is True

    # the conversation is the agent's: the user's message goes to them, not to the bot, and no notice repeats
    sent_before = len(rasa.sent)
    answer = await user_says(client, sender, "您好，我想问一下罚款能分期吗")
    assert answer == [] and len(rasa.sent) == sent_before
    assert rasa.appended[-1][1][0]["event"] == "user" and rasa.appended[-1][1][0]["text"] == "您好，我想问一下罚款能分期吗"

    resp = await client.post(f"/staff/conversations/{sender}/reply", data={"csrf": token, "text": "可以申请分期缴纳。"},
                             allow_redirects=False)
    assert resp.status == 303
    reply = rasa.appended[-1][1][0]
    assert reply["event"] == "bot" and reply["text"] == "可以申请分期缴纳。" and reply["metadata"]["agent"] == "王芳"
    turn = await app["db"].run(lambda s: s.query(TurnLog).filter_by(sender_id=sender).order_by(TurnLog.id.desc()).first())
    assert (turn.direction, turn.text) == ("agent", "可以申请分期缴纳。")

    page = await (await client.get(f"/staff/conversations/{sender}")).text()
    assert "可以申请分期缴纳。" in page and "人工客服 · 王芳" in page and "已暂停" in page

    resp = await client.post(f"/staff/conversations/{sender}/handback", data={"csrf": token}, allow_redirects=False)
    assert resp.status == 303
    resume, notice = rasa.appended[-2][1], rasa.appended[-1][1][0]
    assert [e["event"] for e in resume] == ["resume", "action"] and resume[1]["name"] == "action_listen"
    assert notice["event"] == "bot" and notice["metadata"] == {"source": "system"} and "智能助手" in notice["text"]
    conv = await app["db"].run(lambda s: s.get(Conversation, sender))
    assert (conv.status, conv.assigned_to) == ("bot", None)
    assert rasa.trackers[sender]["paused"] is False
    assert (await user_says(client, sender, "卖过期食品会被罚多少钱"))[0]["custom"]["topic"] == "compliance"


async def test_replying_to_a_bot_conversation_takes_it_over(staff, app, rasa):
    client, token = staff
    await user_says(client, "w-direct", "卖过期食品会被罚多少钱")
    await client.post("/staff/conversations/w-direct/reply", data={"csrf": token, "text": "我来补充一下"})
    kinds = [e["event"] for _, events in rasa.appended for e in events]
    assert kinds == ["pause", "bot"]
    conv = await app["db"].run(lambda s: s.get(Conversation, "w-direct"))
    assert (conv.status, conv.assigned_to) == ("taken", "wangfang")


@pytest.mark.parametrize("text,status", [("", 400), ("   ", 400), ("好" * 2000, 413)])
async def test_bad_replies_are_refused_clearly(staff, rasa, text, status):
    client, token = staff
    resp = await client.post("/staff/conversations/w-x/reply", data={"csrf": token, "text": text})
    assert resp.status == status
    assert "回复内容" in await resp.text()
    assert rasa.appended == []


async def test_actions_when_rasa_is_down_say_so(staff, rasa):
    client, token = staff
    rasa.down = True
    for action in ("take", "reply", "handback"):
        resp = await client.post(f"/staff/conversations/w-down/{action}", data={"csrf": token, "text": "在吗"})
        assert resp.status == 200  # back on the conversation page, with the message
        assert "暂时无法连接" in await resp.text()


async def test_bad_sender_ids_are_a_400(staff):
    client, token = staff
    resp = await client.get("/staff/conversations/a%20b")
    assert resp.status == 400 and "会话编号格式不正确" in await resp.text()
    resp = await client.get("/staff/api/conversations/a%20b/updates")
    assert resp.status == 400 and (await resp.json())["error"]


# ---------------------------------------------------------------------------------------------- conversation pages


async def test_conversation_page_shows_the_full_history_escaped(staff, rasa):
    client, _ = staff
    await user_says(client, "w-page", "<script>alert(1)</script>卖过期食品会被罚多少钱")
    await user_says(client, "w-page", "/ask_why")
    page = await (await client.get("/staff/conversations/w-page")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "销售超过保质期的食品" in page and CITATIONS[0]["quote"] in page and "2021-04-29" in page
    assert "看法条原文" in page  # the tapped button shows as its title
    assert ">/ask_why<" not in page


async def test_unknown_conversation_is_a_404(staff):
    client, _ = staff
    resp = await client.get("/staff/conversations/w-never")
    assert resp.status == 404 and "没有找到" in await resp.text()


async def test_updates_endpoint_tells_when_the_page_is_stale(staff):
    client, _ = staff
    await user_says(client, "w-upd", "卖过期食品会被罚多少钱")
    page = await (await client.get("/staff/conversations/w-upd")).text()
    mark = int(re.search(r'data-mark="(\d+)"', page).group(1))
    first = await (await client.get(f"/staff/api/conversations/w-upd/updates?mark={mark}")).json()
    assert first["changed"] is False and first["status"] == "bot"
    await user_says(client, "w-upd", "转人工")
    second = await (await client.get(f"/staff/api/conversations/w-upd/updates?mark={mark}")).json()
    assert second["changed"] is True and second["status"] == "queued"
    bad = await client.get("/staff/api/conversations/w-upd/updates?mark=x")
    assert bad.status == 400


async def test_list_and_search_mask_personal_numbers(staff):
    client, _ = staff
    await user_says(client, "w-a", f"我是老板，电话{PHONE}，身份证{ID_CARD}，卖过期食品会被罚多少钱")
    await user_says(client, "w-b", f"公司信用代码{CREDIT}怎么做信用修复")
    await user_says(client, "w-c", "饭店员工没有健康证会被罚吗")

    page = await (await client.get("/staff/conversations")).text()
    for raw in (PHONE, ID_CARD, CREDIT):
        assert raw not in page
    assert "138****5678" in page and "450102********123X" in page and "91450100*********F" in page
    assert page.index("w-c") < page.index("w-b") < page.index("w-a")  # newest first

    found = await (await client.get("/staff/conversations", params={"q": PHONE})).text()
    assert "w-a" in found and "w-b" not in found and "w-c" not in found
    assert PHONE not in found.replace(f'value="{PHONE}"', "")  # only the search box echoes the query
    found = await (await client.get("/staff/conversations", params={"q": "健康证"})).text()
    assert "w-c" in found and "w-a" not in found
    found = await (await client.get("/staff/conversations", params={"q": "100%_"})).text()
    assert "没有符合条件的对话" in found
    found = await (await client.get("/staff/conversations", params={"status": "queued", "page": "x"})).text()
    assert "没有符合条件的对话" in found


# ---------------------------------------------------------------------------------------------- feedback


async def test_feedback_on_a_bot_answer(staff, app, rasa):
    client, token = staff
    await user_says(client, "w-fb", "卖过期食品会被罚多少钱")
    page = await (await client.get("/staff/conversations/w-fb")).text()
    ts = re.search(r'name="ts" value="([^"]+)"', page).group(1)
    bot_event = next(e for e in rasa.trackers["w-fb"]["events"] if e["event"] == "bot")
    assert float(ts) == bot_event["timestamp"]

    resp = await client.post("/staff/conversations/w-fb/feedback",
                             data={"csrf": token, "ts": ts, "verdict": "wrong", "comment": "罚款数额已调整"},
                             allow_redirects=False)
    assert resp.status == 303
    fb = await app["db"].run(lambda s: s.query(Feedback).one())
    assert (fb.verdict, fb.comment, fb.staff, fb.kb_ids) == ("wrong", "罚款数额已调整", "wangfang",
                                                             ["market.food.expired_food"])
    turn = await app["db"].run(lambda s: s.get(TurnLog, fb.turn_id))
    assert turn.direction == "bot" and turn.text == bot_event["text"]
    page = await (await client.get("/staff/conversations/w-fb")).text()
    assert "罚款数额已调整" in page and "有误" in page

    await client.post("/staff/conversations/w-fb/feedback", data={"csrf": token, "ts": ts, "verdict": "helpful"})
    assert await app["db"].run(lambda s: s.query(Feedback).count()) == 2


@pytest.mark.parametrize("data,status", [
    ({"verdict": "great", "ts": "1"}, 400),
    ({"verdict": "wrong"}, 400),
    ({"verdict": "wrong", "ts": "nan"}, 400),
    ({"verdict": "wrong", "ts": "12.5"}, 404),
    ({"verdict": "wrong", "ts": "1", "comment": "长" * 1001}, 413),
])
async def test_bad_feedback_is_refused_clearly(staff, app, data, status):
    client, token = staff
    await user_says(client, "w-fb2", "卖过期食品会被罚多少钱")
    resp = await client.post("/staff/conversations/w-fb2/feedback", data={"csrf": token, **data})
    assert resp.status == status
    assert await app["db"].run(lambda s: s.query(Feedback).count()) == 0


# ---------------------------------------------------------------------------------------------- unanswered


async def test_unanswered_questions_are_grouped_counted_and_masked(staff, app):
    client, token = staff
    for sender in ("w-u1", "w-u2", "w-u3"):
        await user_says(client, sender, f"这个我看不懂 电话{PHONE}")
    await user_says(client, "w-u4", f"身份证{ID_CARD}的事看不懂")
    await user_says(client, "w-u5", "卖过期食品会被罚多少钱")  # answered: not listed
    page = await (await client.get("/staff/unanswered")).text()
    assert PHONE not in page and ID_CARD not in page
    assert "这个我看不懂 电话138****5678" in page and "身份证450102********123X的事看不懂" in page
    row = re.search(r"这个我看不懂 电话138\*\*\*\*5678</td><td class=\"num\">(\d+)</td>", page)
    assert row and row.group(1) == "3"
    assert page.index("这个我看不懂") < page.index("的事看不懂")  # most asked first
    assert "卖过期食品" not in page

    # a bot answer marked wrong shows up for the maintainers, masked
    conv = await (await client.get("/staff/conversations/w-u5")).text()
    ts = re.search(r'name="ts" value="([^"]+)"', conv).group(1)
    await client.post("/staff/conversations/w-u5/feedback",
                      data={"csrf": token, "ts": ts, "verdict": "wrong", "comment": f"用户{PHONE}反映金额不对"})
    page = await (await client.get("/staff/unanswered?days=7")).text()
    assert "用户138****5678反映金额不对" in page and "market.food.expired_food" in page and PHONE not in page


# ---------------------------------------------------------------------------------------------- agent assist


async def test_assist_answers_with_citations_and_hits_without_touching_conversations(staff, app, rasa):
    client, token = staff
    assert "智能辅助" in await (await client.get("/staff/assist")).text()
    resp = await client.post("/staff/api/assist", json={"question": "卖过期食品会被罚多少钱"},
                             headers={"X-CSRF-Token": token})
    assert resp.status == 200
    body = await resp.json()
    (sender, text, metadata), = rasa.sent
    assert re.fullmatch(r"assist-wangfang-[0-9a-f]{12}", sender) and body["sender"] == sender
    assert text == "卖过期食品会被罚多少钱" and metadata["channel"] == "assist"
    answer, = body["answers"]
    assert answer["citations"] == CITATIONS and answer["title"] == "销售超过保质期的食品"
    assert answer["buttons"] == [{"title": "看法条原文", "payload": "/ask_why"}]
    assert body["copy_text"] == answer["text"]
    assert [h["title"] for h in body["hits"]] == ["销售超过保质期的食品", "未取得食品经营许可从事食品经营"]
    assert body["hits"][0]["in_answer"] is True and body["hits"][1]["in_answer"] is False
    assert body["hits"][0]["score"] == 1.35 and body["hits"][0]["citations"] == CITATIONS
    assert body["errors"] == {}
    # a throwaway sender each time, and nothing in the console's conversation tables
    await client.post("/staff/api/assist", json={"question": "再问一次"}, headers={"X-CSRF-Token": token})
    assert rasa.sent[1][0] != sender
    assert await app["db"].run(lambda s: (s.query(Conversation).count(), s.query(TurnLog).count())) == (0, 0)


async def test_assist_still_lists_hits_when_rasa_is_down(staff, rasa):
    client, token = staff
    rasa.down = True
    body = await (await client.post("/staff/api/assist", json={"question": "过期食品"},
                                    headers={"X-CSRF-Token": token})).json()
    assert body["answers"] == [] and "暂时无法连接" in body["errors"]["rasa"]
    assert len(body["hits"]) == 2


async def test_assist_with_the_real_knowledge_base(staff, app, searcher):
    client, token = staff
    app[assist.KB_KEY]["searcher"] = searcher
    body = await (await client.post("/staff/api/assist", json={"question": "卖过期食品会被罚多少钱"},
                                    headers={"X-CSRF-Token": token})).json()
    top = body["hits"][0]
    assert top["id"] == "market.food.expired_food" and top["in_answer"] is True
    assert any(c["article"] == "第一百二十四条" for c in top["citations"])
    assert len(body["hits"]) == assist.TOP_HITS and body["hits"][0]["score"] >= body["hits"][-1]["score"]


async def test_the_knowledge_base_is_loaded_once_and_shared(app, kb, monkeypatch):
    app[assist.KB_KEY]["searcher"] = None
    app["kb"] = kb
    built = []
    real = assist._load_searcher
    monkeypatch.setattr(assist, "_load_searcher", lambda k=None: built.append(k) or real(k))
    first, second = await assist.searcher(app), await assist.searcher(app)
    assert first is second and built == [kb]


@pytest.mark.parametrize("body,ctype,status", [
    (b'{"question": ""}', "application/json", 400),
    (b'{"question": "   "}', "application/json", 400),
    (b'{"question": 42}', "application/json", 400),
    (b"{}", "application/json", 400),
    (b'{"question": "' + "好".encode() * 2000 + b'"}', "application/json", 413),
    (b"x" * 200_000, "application/json", 413),
    (b'{"question": ', "application/json", 400),
    (b'["q"]', "application/json", 400),
    (b"question=hi", "application/x-www-form-urlencoded", 415),
    (b'{"question": "hi"}', "text/plain", 415),
])
async def test_bad_assist_requests_are_a_clear_4xx_json(staff, rasa, body, ctype, status):
    client, token = staff
    resp = await client.post("/staff/api/assist", data=body, headers={"Content-Type": ctype, "X-CSRF-Token": token})
    assert resp.status == status
    assert resp.content_type == "application/json" and (await resp.json())["error"]
    assert rasa.sent == []


async def test_wrong_methods_on_console_apis_are_a_clear_405_json(staff):
    client, _ = staff
    for method, path in [("GET", "/staff/api/assist"), ("POST", "/staff/api/queue"), ("PUT", "/staff/api/assist"),
                         ("GET", "/staff/logout")]:
        resp = await client.request(method, path, allow_redirects=False)
        assert resp.status == 405, (method, path)
        assert (await resp.json())["error"]


# ---------------------------------------------------------------------------------------------- the account CLI


def test_cli_creates_users_that_can_log_in(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a very good password\n"))
    assert cli.main(["--database-url", url, "create-user", "zhao", "--name", "赵敏", "--admin", "--password-stdin"]) == 0
    assert "已创建管理员账号 zhao" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("another good one\n"))
    assert cli.main(["--database-url", url, "create-user", "zhao", "--name", "赵敏", "--password-stdin"]) == 1
    assert "已存在" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["--database-url", url, "create-user", "qian", "--name", "钱", "--password-stdin"]) == 1
    assert "至少" in capsys.readouterr().err
    assert cli.main(["--database-url", url, "create-user", "bad name", "--name", "x", "--password-stdin"]) == 1

    from bot.web.db import Database

    with Database(url).session() as s:
        user = s.query(StaffUser).filter_by(username="zhao").one()
        assert user.role == "admin" and user.display_name == "赵敏"
        assert user.password_hash.startswith("$argon2") and auth.verify_password(user.password_hash,
                                                                                 "a very good password")
    with Database(url).session() as s, s.begin():
        locked = auth._utc(time.time() + 600)
        s.add(LoginFailure(scope="account", key="zhao", failures=20, window_started_at=locked, locked_until=locked))
        s.add(LoginFailure(scope="pair", key="zhao|10.0.0.1", failures=5, window_started_at=locked,
                           locked_until=locked))
        s.add(LoginFailure(scope="pair", key="zhaoyun|10.0.0.1", failures=5, window_started_at=locked,
                           locked_until=locked))
    assert cli.main(["--database-url", url, "list"]) == 0
    assert "zhao\t赵敏\tadmin\t锁定" in capsys.readouterr().out
    assert cli.main(["--database-url", url, "unlock", "zhao"]) == 0
    with Database(url).session() as s:
        assert [f.key for f in s.query(LoginFailure)] == ["zhaoyun|10.0.0.1"]  # another account's stays
    assert cli.main(["--database-url", url, "disable", "zhao"]) == 0
    assert cli.main(["--database-url", url, "list"]) == 0
    assert "zhao\t赵敏\tadmin\t停用" in capsys.readouterr().out
    assert cli.main(["--database-url", url, "unlock", "nobody"]) == 1


async def test_cli_user_logs_in_through_the_page(aiohttp_client, tmp_path, monkeypatch, rasa):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a very good password\n"))
    assert cli.main(["--database-url", url, "create-user", "sun", "--name", "孙丽", "--password-stdin"]) == 0
    client = await aiohttp_client(create_app(Settings(database_url=url, secret_key=KEY), rasa=rasa))
    assert (await login(client, "sun", "a very good password")).status == 303
    assert "孙丽" in html.unescape(await (await client.get("/staff/")).text())
