"""The H5 widget's door: GET /, /api/session, /api/history (+ since-polling), signed links, /embed.js."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import Conversation, TurnLog
from bot.web.delivery import deliver
from bot.web.links import sign_sender, verify_sender_token
from bot.web.widget import CHOSEN_OPTION, HISTORY_LIMIT, tracker_messages
from tests.web.fakes import FakeRasa

KEY = "widget-test-secret"
STATIC = Path(__file__).resolve().parents[2] / "bot" / "web" / "static"
XSS = "<img src=x onerror=alert(1)>"

CITATIONS = [{"law": "中华人民共和国食品安全法", "article": "第一百二十四条",
              "quote": "（五）生产经营标注虚假生产日期、保质期或者超过保质期的食品、食品添加剂；", "version": "2021-04-29"}]
BUTTONS = [{"title": "第一次被查，能不罚吗？", "payload": '/ask_exemption{"violation": "market.food.expired_food"}'},
           {"title": "转人工", "payload": "/handoff"}]


def card(sender: str, text: str) -> list[dict]:
    """What the fake assistant answers: a cited card for questions, a hand-off card for 转人工."""
    if text in ("转人工", "/handoff"):
        return [{"recipient_id": sender, "text": "【正在为您转接人工】\n已通知热线工作人员，请稍候。",
                 "custom": {"topic": "handoff", "kb_ids": [], "citations": [], "title": "正在为您转接人工",
                            "data": {"handoff": True}}}]
    if text.startswith("/ask_exemption"):
        return [{"recipient_id": sender, "text": "这是两年内第一次出现这种违法行为吗？",
                 "buttons": [{"title": "是第一次", "payload": '/inform{"first_violation":"true"}'}]}]
    if "随便" in text:
        return [{"recipient_id": sender, "text": "抱歉，我不太确定您想问哪方面。",
                 "custom": {"topic": "smalltalk", "kb_ids": [], "citations": [], "data": {"fallback": True}}}]
    return [{"recipient_id": sender, "text": "【销售超过保质期的食品】\n处罚：五万元以上十万元以下罚款",
             "buttons": BUTTONS,
             "custom": {"topic": "compliance", "kb_ids": ["market.food.expired_food"], "citations": CITATIONS,
                        "title": "销售超过保质期的食品"}}]


@pytest.fixture
def rasa():
    return FakeRasa(answer=card)


@pytest.fixture
def app(tmp_path, rasa):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key=KEY, rate_limit_per_minute=1000,
                        public_url="http://hegui.test")
    return create_app(settings, rasa=rasa)


@pytest.fixture
async def client(aiohttp_client, app):
    return await aiohttp_client(app)


async def session_of(client) -> str:
    resp = await client.get("/api/session")
    assert resp.status == 200
    return (await resp.json())["sender_id"]


async def say(client, sender: str, text: str, status: int = 200):
    resp = await client.post("/api/messages", json={"sender": sender, "message": text, "channel": "widget"})
    assert resp.status == status, await resp.text()
    return await resp.json()


async def history(client, **params) -> dict:
    resp = await client.get("/api/history", params={k: str(v) for k, v in params.items()})
    assert resp.status == 200, await resp.text()
    return await resp.json()


# ---------------------------------------------------------------------------------------------- session + history


async def test_session_is_created_once_and_kept_in_the_cookie(client):
    first = await session_of(client)
    assert re.fullmatch(r"w-[A-Za-z0-9_\-]{16}", first)
    resp = await client.get("/api/session")
    body = await resp.json()
    assert body["sender_id"] == first and body["channel"] == "widget"
    assert verify_sender_token(KEY, body["token"]) == first
    assert resp.headers["Cache-Control"] == "no-store"


async def test_two_visitors_get_two_conversations(aiohttp_client, app):
    a = await aiohttp_client(app)
    b = await aiohttp_client(app)
    assert await session_of(a) != await session_of(b)


async def test_history_comes_from_the_tracker_with_buttons_and_cards(client, rasa, app):
    sender = await session_of(client)
    answer = await say(client, sender, "卖过期食品会被罚多少钱")
    assert answer[0]["custom"]["citations"] == CITATIONS

    body = await history(client)
    assert rasa.tracker_calls == [sender]
    assert body["sender_id"] == sender and body["status"] == "bot" and body["paused"] is False
    user, bot = body["messages"]
    assert user == {"role": "user", "text": "卖过期食品会被罚多少钱", "timestamp": user["timestamp"]}
    assert bot["role"] == "bot" and bot["recipient_id"] == sender
    assert bot["text"] == answer[0]["text"] and bot["buttons"] == BUTTONS
    assert bot["custom"]["citations"] == CITATIONS and bot["custom"]["title"] == "销售超过保质期的食品"
    assert body["last_timestamp"] == bot["timestamp"] > user["timestamp"]
    # the conversation was logged under the widget channel
    conv = await app["db"].run(lambda s: s.get(Conversation, sender))
    assert conv.channel == "widget"


async def test_a_tapped_quick_reply_shows_its_title_never_its_payload(client):
    sender = await session_of(client)
    await say(client, sender, "卖过期食品会被罚多少钱")
    await say(client, sender, BUTTONS[0]["payload"])
    await say(client, sender, "/handoff{}")  # a payload without a button on screen (e.g. typed)
    users = [m for m in (await history(client))["messages"] if m["role"] == "user"]
    assert [m["text"] for m in users] == ["卖过期食品会被罚多少钱", BUTTONS[0]["title"], CHOSEN_OPTION]
    assert all("/" not in m["text"] for m in users[1:])


async def test_history_needs_a_session(client):
    resp = await client.get("/api/history")
    assert resp.status == 401
    assert "会话" in (await resp.json())["error"]


async def test_history_when_rasa_is_down_is_a_clear_503(client, rasa):
    await session_of(client)
    rasa.down = True
    resp = await client.get("/api/history")
    assert resp.status == 503
    assert "暂时无法连接" in (await resp.json())["error"]


async def test_long_history_returns_the_newest_messages(client, rasa):
    sender = await session_of(client)
    now = time.time()
    rasa._t(sender)["events"] = [{"event": "user", "text": f"问题{i}", "timestamp": now + i}
                                 for i in range(HISTORY_LIMIT + 5)]
    body = await history(client)
    assert len(body["messages"]) == HISTORY_LIMIT and body["truncated"] is True
    assert body["messages"][-1]["text"] == f"问题{HISTORY_LIMIT + 4}"


def test_tracker_messages_skips_other_events_and_marks_agents():
    tracker = {"events": [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "slot", "name": "x", "value": 1, "timestamp": 1.1},
        {"event": "user", "text": "你好", "timestamp": 2.0},
        {"event": "bot", "text": "", "data": {}, "timestamp": 2.5},
        {"event": "bot", "text": "我是王芳", "data": {}, "metadata": {"agent": "王芳"}, "timestamp": 3.0},
        {"event": "bot", "text": "人工服务已结束", "data": {}, "metadata": {"source": "system"}, "timestamp": 4.0},
        {"event": "bot", "text": "bad buttons", "data": {"buttons": [{"title": 1}, "x"], "custom": "no"},
         "timestamp": 5.0},
        "garbage",
    ]}
    out = tracker_messages(tracker, "s")
    assert [m["role"] for m in out] == ["user", "agent", "bot", "bot"]
    assert out[1]["agent"] == "王芳" and out[2]["source"] == "system"
    assert out[3]["buttons"] == [] and out[3]["custom"] == {}


# ---------------------------------------------------------------------------------------------- since-polling


async def test_polling_with_a_mark_skips_the_tracker_until_something_is_logged(client, rasa, app):
    sender = await session_of(client)
    await say(client, sender, "卖过期食品会被罚多少钱")
    full = await history(client)
    calls = len(rasa.tracker_calls)

    for _ in range(3):
        quiet = await history(client, since=full["last_timestamp"], mark=full["mark"])
        assert quiet["messages"] == [] and quiet["last_timestamp"] == full["last_timestamp"]
        assert quiet["mark"] == full["mark"]
    assert len(rasa.tracker_calls) == calls  # cheap: one indexed query, no tracker

    await deliver(app, sender, "您好，我是热线工作人员王芳。", agent="王芳")
    news = await history(client, since=full["last_timestamp"], mark=full["mark"])
    assert len(rasa.tracker_calls) == calls + 1
    assert [(m["role"], m["text"], m.get("agent")) for m in news["messages"]] == [
        ("agent", "您好，我是热线工作人员王芳。", "王芳")]
    assert news["mark"] > full["mark"] and news["last_timestamp"] > full["last_timestamp"]

    again = await history(client, since=news["last_timestamp"], mark=news["mark"])
    assert again["messages"] == []


async def test_polling_without_a_mark_reads_the_tracker_and_filters_by_time(client, rasa):
    sender = await session_of(client)
    await say(client, sender, "卖过期食品会被罚多少钱")
    first = await history(client)
    await say(client, sender, "转人工")
    news = await history(client, since=first["last_timestamp"])
    assert [m["text"] for m in news["messages"]][0] == "转人工"
    assert news["status"] == "queued" and news["paused"] is True
    assert all(m["timestamp"] > first["last_timestamp"] for m in news["messages"])


async def test_messages_from_the_registration_system_reach_a_polling_widget(client, app):
    sender = await session_of(client)
    full = await history(client)
    assert full["messages"] == [] and full["mark"] == 0
    await deliver(app, sender, "您的企业已完成登记，以下是为您整理的合规要点。", direction="registration")
    news = await history(client, since=full["last_timestamp"] or 0, mark=full["mark"])
    assert news["messages"][0]["source"] == "registration"


@pytest.mark.parametrize("params", [{"since": "abc"}, {"since": "-1"}, {"since": "nan"}, {"since": "inf"},
                                    {"since": "1", "mark": "x"}, {"since": "1", "mark": "-3"}])
async def test_bad_polling_parameters_are_a_clear_400(client, params):
    await session_of(client)
    resp = await client.get("/api/history", params=params)
    assert resp.status == 400
    assert (await resp.json())["error"]


async def test_wrong_methods_are_a_clear_405_json(client):
    for method, path in [("POST", "/api/history"), ("POST", "/api/session"), ("DELETE", "/api/session"),
                         ("GET", "/api/messages"), ("POST", "/embed.js")]:
        resp = await client.request(method, path)
        assert resp.status == 405, (method, path)
        assert resp.content_type == "application/json" and (await resp.json())["error"]


# ---------------------------------------------------------------------------------------------- bad input to the API the widget uses


@pytest.mark.parametrize("body,ctype,status", [
    (b'{"sender": "w-1", "message": "' + "好".encode() * 3000 + b'"}', "application/json", 413),
    (b"x" * 100_000, "application/json", 413),
    (b'{"sender": "w-1", "message": "   "}', "application/json", 400),
    (b'{"sender": "w-1", "message": ""}', "application/json", 400),
    (b'{"sender": "w-1", "message": ', "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'{"sender": "w 1", "message": "hi"}', "application/json", 400),
    (b"sender=w-1&message=hi", "application/x-www-form-urlencoded", 415),
    (b'{"sender": "w-1", "message": "hi"}', "text/plain", 415),
])
async def test_bad_messages_are_a_clear_4xx_json(client, body, ctype, status):
    resp = await client.post("/api/messages", data=body, headers={"Content-Type": ctype})
    assert resp.status == status
    assert resp.content_type == "application/json" and (await resp.json())["error"]


# ---------------------------------------------------------------------------------------------- escaping


async def test_markup_is_returned_as_text_unchanged(client):
    sender = await session_of(client)
    await say(client, sender, XSS)
    messages = (await history(client))["messages"]
    assert messages[0]["text"] == XSS  # JSON carries it as text; the page puts it in with textContent


@pytest.mark.parametrize("name", ["widget.js", "widget-render.js", "widget-messages.js", "widget-forms.js", "embed.js",
                                  "staff.js"])
def test_scripts_never_insert_markup(name):
    source = (STATIC / name).read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.S)  # the file's comments may mention the rule
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "DOMParser", "createContextualFragment", "srcdoc"):
        assert sink not in code, f"{name} uses {sink}"
    if name != "embed.js":
        assert "textContent" in code


def test_widget_script_renders_every_text_with_text_content():
    render = (STATIC / "widget-render.js").read_text(encoding="utf-8")
    code = (STATIC / "widget-messages.js").read_text(encoding="utf-8")
    # the one element factory sets text with textContent; bubbles, chips, sections, citations all go through it
    assert re.search(r"function el\(tag, cls, text\) \{.*?node\.textContent = String\(text\)", render, re.S)
    for call in ('el("blockquote", "citation-quote", c.quote)', 'el("span", "sec-label", label)',
                 'el("h3", "card-title", card.title)', 'el("strong", null, parts[i])',
                 "document.createTextNode(parts[i])"):
        assert call in render
    assert "var el = R.el;" in code and "var el = R.el;" in (STATIC / "widget.js").read_text(encoding="utf-8")
    for call in ('el("div", "bubble", text)', 'el("button", "chip", b.title)'):
        assert call in code
    # payloads are only ever sent
    assert "b.payload" in code and re.search(r"send\(b\.payload, b\.title", code)
    for source in (code, render):
        assert not re.search(r"(textContent|title|value)\s*=(?!=)\s*[^;]*payload", source)


async def test_the_page_is_static_markup_with_a_strict_policy(client):
    resp = await client.get("/")
    assert resp.status == 200 and resp.content_type == "text/html"
    html = await resp.text()
    assert 'id="messages"' in html and 'id="composer"' in html and "合规通" in html
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "<script>" not in html  # no inline script: everything is in /static/widget.js
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        got = await client.get(asset)
        assert got.status == 200, asset


# ---------------------------------------------------------------------------------------------- signed links


async def test_a_valid_link_binds_the_session_and_drops_the_token(client):
    token = sign_sender(KEY, "reg-91450100MA5KB1234F", 3600)
    resp = await client.get("/", params={"t": token}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/"
    assert await session_of(client) == "reg-91450100MA5KB1234F"
    resp = await client.get("/", params={"t": token, "embed": "1"}, allow_redirects=False)
    assert resp.headers["Location"] == "/?embed=1"


async def test_a_link_replaces_an_earlier_session(client):
    before = await session_of(client)
    await client.get("/", params={"t": sign_sender(KEY, "reg-2", 60)})
    assert await session_of(client) == "reg-2" != before


def _tamper(token: str) -> list[str]:
    payload, sig = token.split(".")
    other = sign_sender(KEY, "reg-other", 3600).split(".")[0]
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    return [f"{payload}.{flipped}", f"{other}.{sig}", payload, token + "x", "", "a.b", "..", "x" * 2000]


@pytest.mark.parametrize("case", range(8))
async def test_tampered_links_are_refused_with_a_clear_notice(client, case):
    bad = _tamper(sign_sender(KEY, "reg-1", 3600))[case]
    before = await session_of(client)
    resp = await client.get("/", params={"t": bad}, allow_redirects=False)
    assert resp.status == 200
    assert "链接已过期或无效" in await resp.text()
    assert await session_of(client) == before


async def test_an_expired_link_is_refused(client):
    token = sign_sender(KEY, "reg-1", 60, now=time.time() - 120)
    resp = await client.get("/", params={"t": token}, allow_redirects=False)
    assert resp.status == 200 and "链接已过期或无效" in await resp.text()
    assert await session_of(client) != "reg-1"


async def test_a_link_signed_with_another_key_is_refused(client):
    resp = await client.get("/", params={"t": sign_sender("another-key", "reg-1", 60)}, allow_redirects=False)
    assert resp.status == 200
    assert await session_of(client) != "reg-1"


def test_link_expiry_and_arguments():
    token = sign_sender(KEY, "reg-1", 100, now=1000)
    assert verify_sender_token(KEY, token, now=1099) == "reg-1"
    assert verify_sender_token(KEY, token, now=1100) is None
    import datetime as dt

    assert verify_sender_token(KEY, sign_sender(KEY, "reg-1", dt.timedelta(days=7))) == "reg-1"
    for bad in [("reg 1", 10), ("", 10), ("x" * 129, 10), ("reg-1", 0), ("reg-1", -5)]:
        with pytest.raises(ValueError):
            sign_sender(KEY, *bad)
    with pytest.raises(ValueError):
        sign_sender("", "reg-1", 10)
    assert verify_sender_token("", token, now=1000) is None


@given(st.text(max_size=300))
def test_random_strings_never_verify(text):
    assert verify_sender_token(KEY, text) is None


@given(st.from_regex(r"[A-Za-z0-9_.:@\-]{1,128}", fullmatch=True), st.integers(1, 10**8))
def test_signed_senders_round_trip(sender, ttl):
    token = sign_sender(KEY, sender, ttl)
    assert re.fullmatch(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+", token)  # URL-safe as it is
    assert verify_sender_token(KEY, token) == sender


async def test_an_embedded_widget_without_cookies_keeps_its_conversation_by_token(aiohttp_client, app):
    first = await aiohttp_client(app)
    body = await (await first.get("/api/session")).json()
    await say(first, body["sender_id"], "卖过期食品会被罚多少钱")

    other = await aiohttp_client(app)  # a third-party iframe: no cookie comes back
    headers = {"X-Widget-Token": body["token"]}
    again = await (await other.get("/api/session", headers=headers)).json()
    assert again["sender_id"] == body["sender_id"]
    other.session.cookie_jar.clear()
    resp = await other.get("/api/history", headers=headers)
    assert resp.status == 200 and len((await resp.json())["messages"]) == 2
    other.session.cookie_jar.clear()
    resp = await other.get("/api/history", headers={"X-Widget-Token": body["token"][:-3] + "abc"})
    assert resp.status == 401


# ---------------------------------------------------------------------------------------------- embed


async def test_embed_script_is_served_and_documented(client):
    resp = await client.get("/embed.js")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/javascript")
    text = await resp.text()
    assert text.lstrip().startswith("/*") and '<script src="https://<合规通的地址>/embed.js" async></script>' in text
    assert "/?embed=1" in text and "hegui:close" in text


async def test_embedded_page_has_a_close_button(client):
    html = await (await client.get("/?embed=1")).text()
    assert 'id="chat-close"' in html and 'class="embedded"' in html
    assert 'id="chat-close"' not in await (await client.get("/")).text()


async def test_turns_are_logged_for_the_staff_console(client, app):
    sender = await session_of(client)
    await say(client, sender, "随便问问")
    turns = await app["db"].run(lambda s: [(t.direction, t.unanswered) for t in s.query(TurnLog).filter_by(
        sender_id=sender).order_by(TurnLog.id)])
    assert turns == [("user", True), ("bot", True)]


def test_history_json_is_plain_json():
    out = tracker_messages({"events": [{"event": "user", "text": XSS, "timestamp": 1.5}]}, "s")
    assert json.loads(json.dumps(out)) == [{"role": "user", "text": XSS, "timestamp": 1.5}]
