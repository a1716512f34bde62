"""What the widget learns beside the messages, and the forms it sends: staff presence and an agent typing
(bot/web/presence.py), the satisfaction rating after a human session (bot/web/feedback.py), a message left when
nobody is on duty (bot/web/messages_left.py), a new conversation (POST /api/session/new), and agent assist's
follow-up answers (bot/web/staff/assist.py)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import Conversation, StaffUser
from bot.web.delivery import deliver
from bot.web.feedback import SessionRating
from bot.web.links import verify_sender_token
from bot.web.messages_left import LeftMessage, clean_phone, mask_phone
from bot.web.presence import ON_DUTY_SECONDS, AgentTyping, StaffPresence
from bot.web.staff import assist, auth
from bot.web.validation import BadInput
from tests.web.fakes import FakeRasa
from tests.web.test_staff import PASSWORD, FakeSearcher, csrf_in
from tests.web.test_widget import KEY, card, history, say, session_of

PHONE = "13812345678"


@pytest.fixture
def rasa():
    return FakeRasa(answer=card)


@pytest.fixture
def app(tmp_path, rasa):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key=KEY, rate_limit_per_minute=1000)
    app = create_app(settings, rasa=rasa)
    app[assist.KB_KEY]["searcher"] = FakeSearcher()
    with app["db"].session() as s, s.begin():
        s.add(StaffUser(username="wangfang", display_name="王芳", password_hash=auth.hash_password(PASSWORD)))
        s.add(StaffUser(username="lifang", display_name="李芳", password_hash=auth.hash_password(PASSWORD)))
    return app


@pytest.fixture
async def user(aiohttp_client, app):
    return await aiohttp_client(app)


async def staff_client(aiohttp_client, app, username="wangfang"):
    client = await aiohttp_client(app)
    token = csrf_in(await (await client.get("/staff/login")).text())
    resp = await client.post("/staff/login", data={"csrf": token, "username": username, "password": PASSWORD},
                             allow_redirects=False)
    assert resp.status == 303
    return client, csrf_in(await (await client.get("/staff/")).text())


def set_status(app, sender: str, status: str):
    def write(s):
        conv = s.get(Conversation, sender)
        conv.status = status
        conv.assigned_to = "wangfang" if status == "taken" else None

    return app["db"].run(write)


# ---------------------------------------------------------------------------------------------- presence


async def test_on_duty_while_a_console_is_open(aiohttp_client, app, user):
    sender = await session_of(user)
    await say(user, sender, "卖过期食品会被罚多少钱")
    assert (await history(user))["on_duty"] is False
    staff, token = await staff_client(aiohttp_client, app)
    resp = await staff.post("/staff/api/presence", json={}, headers={"X-CSRF-Token": token})
    assert resp.status == 200
    full = await history(user)
    assert full["on_duty"] is True
    # also on the cheap poll that does not read the tracker
    assert (await history(user, since=full["last_timestamp"], mark=full["mark"]))["on_duty"] is True

    def age(s):
        s.get(StaffPresence, "wangfang").seen_at -= dt.timedelta(seconds=ON_DUTY_SECONDS + 1)

    await app["db"].run(age)  # the console was closed: no heartbeat for two minutes
    assert (await history(user))["on_duty"] is False


async def test_presence_needs_a_staff_session_and_the_csrf_token(aiohttp_client, app, user):
    resp = await user.post("/staff/api/presence", json={})
    assert resp.status == 401 and "login" in await resp.json()
    staff, token = await staff_client(aiohttp_client, app)
    resp = await staff.post("/staff/api/presence", json={})
    assert resp.status == 403


async def test_the_user_sees_the_agent_typing_only_while_a_human_has_the_conversation(aiohttp_client, app, user):
    sender = await session_of(user)
    await say(user, sender, "转人工")
    staff, token = await staff_client(aiohttp_client, app)
    typing = f"/staff/api/conversations/{sender}/typing"
    assert (await staff.post(typing, json={"typing": True}, headers={"X-CSRF-Token": token})).status == 200
    assert (await history(user))["agent_typing"] is None  # queued: nobody has it yet
    await set_status(app, sender, "taken")
    full = await history(user)
    assert full["agent_typing"] == "王芳"
    assert (await history(user, since=full["last_timestamp"], mark=full["mark"]))["agent_typing"] == "王芳"
    assert (await staff.post(typing, json={"typing": False}, headers={"X-CSRF-Token": token})).status == 200
    assert (await history(user))["agent_typing"] is None
    await staff.post(typing, json={"typing": True}, headers={"X-CSRF-Token": token})

    def expire(s):
        s.get(AgentTyping, sender).until = dt.datetime(2000, 1, 1)

    await app["db"].run(expire)  # the agent stopped typing a while ago without saying so
    assert (await history(user))["agent_typing"] is None


@pytest.mark.parametrize("body, status", [({"typing": "yes"}, 400), ({}, 400), ([True], 400)])
async def test_bad_typing_signals_are_a_clear_4xx(aiohttp_client, app, body, status):
    staff, token = await staff_client(aiohttp_client, app)
    resp = await staff.post("/staff/api/conversations/w-abc/typing", json=body, headers={"X-CSRF-Token": token})
    assert resp.status == status and "error" in await resp.json()
    resp = await staff.post("/staff/api/conversations/bad%20sender/typing", json={"typing": True},
                            headers={"X-CSRF-Token": token})
    assert resp.status == 400


# ---------------------------------------------------------------------------------------------- rating


async def human_session(app, sender: str, reply: str = "您好，我是王芳。") -> None:
    await set_status(app, sender, "taken")
    await deliver(app, sender, reply, agent="王芳")


async def test_a_rating_is_asked_once_after_each_human_session(app, user):
    sender = await session_of(user)
    await say(user, sender, "转人工")
    assert (await history(user))["rating_due"] is False  # no human has written yet
    await human_session(app, sender)
    assert (await history(user))["rating_due"] is False  # still talking to the human
    await set_status(app, sender, "bot")  # handed back
    full = await history(user)
    assert full["rating_due"] is True
    assert (await history(user, since=full["last_timestamp"], mark=full["mark"]))["rating_due"] is True

    resp = await user.post("/api/rating", json={"score": 4, "comment": f"讲得清楚，回电{PHONE}"})
    assert resp.status == 201 and (await resp.json())["thanks"] == "感谢您的评价！"
    assert (await history(user))["rating_due"] is False
    resp = await user.post("/api/rating", json={"score": 5})
    assert resp.status == 409 and (await resp.json())["error"] == "没有需要评价的人工服务"
    rows = await app["db"].run(lambda s: s.query(SessionRating).all())
    assert [(r.sender_id, r.score, r.agent) for r in rows] == [(sender, 4, "王芳")]

    # a later human session is rated again; 暂不评价 counts as an answer
    await say(user, sender, "转人工")
    await human_session(app, sender, "又是我，王芳。")
    await set_status(app, sender, "bot")
    assert (await history(user))["rating_due"] is True
    resp = await user.post("/api/rating", json={"score": None, "comment": "不会保存"})
    assert resp.status == 201
    assert (await history(user))["rating_due"] is False
    rows = await app["db"].run(lambda s: s.query(SessionRating).order_by(SessionRating.id).all())
    assert [(r.score, r.comment) for r in rows] == [(4, f"讲得清楚，回电{PHONE}"), (None, "")]


async def test_staff_read_ratings_with_numbers_masked(aiohttp_client, app, user):
    sender = await session_of(user)
    await say(user, sender, "转人工")
    await human_session(app, sender)
    await set_status(app, sender, "bot")
    await user.post("/api/rating", json={"score": 2, "comment": f"等太久了，请回电{PHONE}"})
    staff, _ = await staff_client(aiohttp_client, app)
    body = await (await staff.get(f"/staff/api/conversations/{sender}/ratings")).json()
    (rating,) = body["ratings"]
    assert rating["label"] == "不满意" and rating["agent"] == "王芳" and rating["comment"] == "等太久了，请回电138****5678"
    page = await (await staff.get("/staff/messages")).text()
    assert "不满意" in page and "138****5678" in page and PHONE not in page
    assert (await user.get(f"/staff/api/conversations/{sender}/ratings")).status == 401


@pytest.mark.parametrize("body, status", [
    ({"score": 0}, 400), ({"score": 6}, 400), ({"score": "5"}, 400), ({"score": True}, 400), ({"score": [1]}, 400),
    ({"score": 4.5}, 400), ({"score": 3, "comment": 3}, 400), ({"score": 3, "comment": "长" * 501}, 413)])
async def test_bad_ratings_are_a_clear_4xx(app, user, body, status):
    sender = await session_of(user)
    await say(user, sender, "转人工")
    await human_session(app, sender)
    await set_status(app, sender, "bot")
    resp = await user.post("/api/rating", json=body)
    assert resp.status == status and (await resp.json())["error"]
    assert (await history(user))["rating_due"] is True  # nothing was saved


async def test_a_rating_needs_a_conversation(user):
    assert (await user.post("/api/rating", json={"score": 5})).status == 401
    assert (await user.post("/api/rating", data="score=5")).status == 415


# ---------------------------------------------------------------------------------------------- leave a message


@pytest.mark.parametrize("raw, phone", [("13812345678", "13812345678"), ("138 1234 5678", "13812345678"),
                                        ("+86 138-1234-5678", "13812345678"), ("(0771)1234567", "07711234567"),
                                        ("0771-1234567", "0771-1234567"), ("020 12345678", "02012345678")])
def test_phone_numbers_that_can_be_called_back(raw, phone):
    assert clean_phone(raw) == phone


@pytest.mark.parametrize("raw", ["12345", "1381234567", "23812345678", "138123456789", "abc", "", None, 13812345678])
def test_numbers_that_cannot(raw):
    with pytest.raises(BadInput):
        clean_phone(raw)


def test_masked_numbers():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0771-1234567") == "0771***4567"
    assert "1234" not in mask_phone("02012345678")[:-4]


async def test_a_message_left_reaches_staff_masked_and_the_number_on_request(aiohttp_client, app, user):
    sender = await session_of(user)
    await say(user, sender, "转人工")
    assert (await history(user))["left_message"] is None
    resp = await user.post("/api/messages-left", json={"phone": "138 1234 5678", "name": "陈先生",
                                                        "text": f"食品过期罚款能分期吗？也可打{PHONE}"})
    assert resp.status == 201
    body = await resp.json()
    assert body["phone"] == "138****5678"
    left = (await history(user))["left_message"]
    assert left["phone"] == "138****5678" and left["at"] > 0

    staff, token = await staff_client(aiohttp_client, app)
    assert (await (await staff.get("/staff/api/messages-left/summary")).json()) == {"open": 1}
    page = await (await staff.get("/staff/messages")).text()
    assert "138****5678" in page and "陈先生" in page and "食品过期罚款能分期吗？也可打138****5678" in page
    assert PHONE not in page
    message_id = body["id"]
    resp = await staff.post(f"/staff/api/messages-left/{message_id}/phone", json={}, headers={"X-CSRF-Token": token})
    assert (await resp.json()) == {"phone": PHONE}
    row = await app["db"].run(lambda s: s.get(LeftMessage, message_id))
    assert row.revealed_by == "wangfang" and row.revealed_at is not None
    resp = await staff.post(f"/staff/messages-left/{message_id}/done", data={"csrf": token}, allow_redirects=False)
    assert resp.status == 303
    row = await app["db"].run(lambda s: s.get(LeftMessage, message_id))
    assert row.status == "done" and row.handled_by == "wangfang"
    assert (await (await staff.get("/staff/api/messages-left/summary")).json()) == {"open": 0}
    assert (await history(user))["left_message"] is None
    # the full number is staff-only, and needs the CSRF token
    assert (await user.post(f"/staff/api/messages-left/{message_id}/phone", json={})).status == 401
    assert (await staff.post(f"/staff/api/messages-left/{message_id}/phone", json={})).status == 403
    resp = await staff.post("/staff/api/messages-left/999/phone", json={}, headers={"X-CSRF-Token": token})
    assert resp.status == 404


@pytest.mark.parametrize("body, status, words", [
    ({"phone": "12345", "text": "问题"}, 400, "电话号码格式不对"),
    ({"text": "问题"}, 400, "请填写手机号"),
    ({"phone": PHONE, "text": "  "}, 400, "不能为空"),
    ({"phone": PHONE, "text": "长" * 501}, 413, "上限 500 字"),
    ({"phone": PHONE, "text": "问题", "name": "名" * 21}, 400, "称呼"),
    ({"phone": PHONE, "text": "问题", "name": 3}, 400, "称呼"),
])
async def test_bad_messages_are_refused_clearly_and_nothing_is_kept(app, user, body, status, words):
    await session_of(user)
    resp = await user.post("/api/messages-left", json=body)
    assert resp.status == status and words in (await resp.json())["error"]
    assert await app["db"].run(lambda s: s.query(LeftMessage).count()) == 0


async def test_one_conversation_leaves_a_few_messages_at_most(app, user):
    await session_of(user)
    for _ in range(3):
        assert (await user.post("/api/messages-left", json={"phone": PHONE, "text": "问题"})).status == 201
    resp = await user.post("/api/messages-left", json={"phone": PHONE, "text": "问题"})
    assert resp.status == 429 and "已经留过言" in (await resp.json())["error"]


async def test_leaving_a_message_needs_a_conversation(user):
    resp = await user.post("/api/messages-left", json={"phone": PHONE, "text": "问题"})
    assert resp.status == 401


# ---------------------------------------------------------------------------------------------- new conversation


async def test_a_new_conversation_gets_a_new_sender_and_keeps_it(user, rasa):
    old = await session_of(user)
    await say(user, old, "卖过期食品会被罚多少钱")
    resp = await user.post("/api/session/new", json={})
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    body = await resp.json()
    new = body["sender_id"]
    assert new != old and re.fullmatch(r"w-[A-Za-z0-9_\-]{16}", new)
    assert verify_sender_token(KEY, body["token"]) == new
    assert await session_of(user) == new
    assert (await history(user))["messages"] == []
    assert [e["text"] for e in rasa.trackers[old]["events"] if e["event"] == "user"] == ["卖过期食品会被罚多少钱"]


async def test_a_new_conversation_is_json_only(user):
    assert (await user.post("/api/session/new", data="x=1")).status == 415  # a form on another site cannot


# ---------------------------------------------------------------------------------------------- agent assist


async def test_assist_follow_ups_continue_the_same_question_and_only_the_agents_own(aiohttp_client, app, rasa):
    staff, token = await staff_client(aiohttp_client, app)
    headers = {"X-CSRF-Token": token}
    first = await (await staff.post("/staff/api/assist", json={"question": "/ask_exemption"}, headers=headers)).json()
    answer, = first["answers"]
    assert answer["buttons"] == [{"title": "是第一次", "payload": '/inform{"first_violation":"true"}'}]
    assert first["hits"]
    resp = await staff.post("/staff/api/assist", json={"question": answer["buttons"][0]["payload"],
                                                       "sender": first["sender"]}, headers=headers)
    follow = await resp.json()
    assert resp.status == 200 and follow["sender"] == first["sender"] and follow["hits"] == []
    assert [(s, t) for s, t, _ in rasa.sent] == [(first["sender"], "/ask_exemption"),
                                                 (first["sender"], '/inform{"first_violation":"true"}')]
    other, other_token = await staff_client(aiohttp_client, app, "lifang")
    for sender in (first["sender"], "w-someone", "assist-lifang-xyz", 42):
        resp = await other.post("/staff/api/assist", json={"question": "是第一次", "sender": sender},
                                headers={"X-CSRF-Token": other_token})
        assert resp.status == 400 and "只能继续自己的" in (await resp.json())["error"]
    assert len(rasa.sent) == 2
