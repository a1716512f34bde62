"""Human handoff as a state of the front (bot/web/handoff.py), through every door, against a fake Rasa:
the first message can ask for a person, the queue always sees it, the user hears their place and wait once
(not on every message), only staff hand-back or the user's cancel end it, /restart included."""
from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid

import pytest
import xmltodict

from bot.web import handoff
from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import Conversation, Handoff, TurnLog, utcnow
from tests.web.fakes import FakeRasa

TOKEN = "handoff-wechat-token"
HANDOFF_CARD = {"text": "【正在为您转接人工】\n已通知热线工作人员，请稍候。",
                "custom": {"topic": "handoff", "kb_ids": [], "citations": [], "data": {"handoff": True}}}
ANSWER = {"text": "【销售超过保质期的食品】\n处罚：五万元以上十万元以下罚款",
          "custom": {"topic": "compliance", "kb_ids": ["market.food.expired_food"], "citations": []}}


def bot(sender: str, text: str) -> list[dict]:
    return [{"recipient_id": sender, **(HANDOFF_CARD if text in ("转人工", "/handoff") else ANSWER)}]


@pytest.fixture
def rasa():
    return FakeRasa(answer=bot)


@pytest.fixture
async def client(aiohttp_client, tmp_path, rasa):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key="k", rate_limit_per_minute=1000,
                        wechat_token=TOKEN, handoff_minutes_per_conversation=3)
    return await aiohttp_client(create_app(settings, rasa=rasa))


async def say(client, sender: str, text: str) -> list[dict]:
    resp = await client.post("/api/messages", json={"sender": sender, "message": text, "channel": "widget"})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def conversation(client, sender: str) -> Conversation | None:
    return await client.app["db"].run(lambda s: s.get(Conversation, sender))


async def staff_takes(client, sender: str, staff: str = "wangfang") -> None:
    await client.app["rasa"].append_events(sender, [{"event": "pause", "timestamp": time.time()}])
    await client.app["db"].run(handoff.take(sender, staff))


def notices(messages: list[dict]) -> list[dict]:
    return [m for m in messages if (m.get("custom") or {}).get("data", {}).get("waiting")]


async def test_the_first_message_asking_for_a_person_enters_the_queue(client, rasa):
    messages = await say(client, "w-first", "转人工")
    assert messages[0]["custom"]["topic"] == "handoff"
    notice = notices(messages)[0]
    assert notice["custom"]["data"]["position"] == 1 and notice["custom"]["data"]["expected_minutes"] == 3
    assert "第 1 位" in notice["text"] and "约 3 分钟" in notice["text"] and "取消转人工" in notice["text"]
    assert notice["buttons"] == [{"title": "取消转人工", "payload": "/cancel_handoff"}]
    conv = await conversation(client, "w-first")
    assert conv.status == "queued" and conv.handoff_requested_at is not None
    records = await client.app["db"].run(lambda s: s.query(Handoff).all())
    assert [(r.sender_id, r.position, r.taken_at, r.ended_at) for r in records] == [("w-first", 1, None, None)]


async def test_the_widget_sees_the_queue_from_its_first_message(client):
    sender = (await (await client.get("/api/session")).json())["sender_id"]
    await say(client, sender, "转人工")
    state = await (await client.get("/api/history")).json()
    assert state["status"] == "queued"


async def test_the_place_and_wait_are_not_repeated_on_every_message(client, rasa):
    await say(client, "w-wait", "转人工")
    sent = len(rasa.sent)
    for text in ("你好，在吗", "我想问罚款的事", "能快点吗"):
        assert await say(client, "w-wait", text) == []
    assert len(rasa.sent) == sent  # held for staff: the bot was not asked
    held = [e["text"] for _, events in rasa.appended for e in events if e["event"] == "user"]
    assert held == ["你好，在吗", "我想问罚款的事", "能快点吗"]
    logged = await client.app["db"].run(lambda s: [t.text for t in s.query(TurnLog).filter_by(
        sender_id="w-wait", direction="user").order_by(TurnLog.id)])
    assert logged[1:] == held
    again = notices(await say(client, "w-wait", "转人工"))  # asking again: told where they stand
    assert again and again[0]["custom"]["data"]["position"] == 1


async def test_a_waiting_user_hears_when_their_place_changes_and_after_quiet_minutes(client):
    await say(client, "w-one", "转人工")
    second = notices(await say(client, "w-two", "转人工"))[0]
    assert second["custom"]["data"]["position"] == 2 and "前面还有 1 位" in second["text"]
    assert second["custom"]["data"]["expected_minutes"] == 6
    assert await say(client, "w-two", "还在吗") == []
    await staff_takes(client, "w-one")
    moved = notices(await say(client, "w-two", "还在吗"))
    assert moved and moved[0]["custom"]["data"]["position"] == 1
    assert await say(client, "w-two", "好的") == []

    def quiet(s):
        s.get(Conversation, "w-two").notified_at = utcnow() - dt.timedelta(minutes=6)

    await client.app["db"].run(quiet)
    assert notices(await say(client, "w-two", "好的"))


async def test_the_expected_wait_is_measured_from_recent_takeovers(client):
    def history(s):
        now = utcnow()
        for minutes, place in ((8, 1), (20, 2), (12, 1), (90, 3)):  # 8, 10, 12 and 30 minutes per conversation
            s.add(Handoff(sender_id=f"old-{minutes}", requested_at=now - dt.timedelta(minutes=minutes + 5),
                          taken_at=now - dt.timedelta(minutes=5), position=place, ended_at=now, ended_by="staff"))

    await client.app["db"].run(history)
    notice = notices(await say(client, "w-measured", "转人工"))[0]
    assert notice["custom"]["data"]["expected_minutes"] == 11  # median of 8, 10, 12, 30


async def test_the_user_can_cancel_and_the_bot_answers_again(client, rasa):
    await say(client, "w-cancel", "转人工")
    answer = await say(client, "w-cancel", "/cancel_handoff")
    assert answer[0]["custom"]["data"]["cancelled"] is True and "智能助手" in answer[0]["text"]
    conv = await conversation(client, "w-cancel")
    assert (conv.status, conv.handoff_requested_at) == ("bot", None)
    kinds = [e.get("name") or e["event"] for _, events in rasa.appended for e in events]
    assert kinds[-3:] == ["resume", "action_listen", "bot"]
    record = await client.app["db"].run(lambda s: s.query(Handoff).filter_by(sender_id="w-cancel").one())
    assert record.ended_by == "user" and record.ended_at is not None
    assert (await say(client, "w-cancel", "卖过期食品会被罚多少钱"))[0]["custom"]["topic"] == "compliance"
    assert (await conversation(client, "w-cancel")).status == "bot"


@pytest.mark.parametrize("words", ["取消转人工", "不用人工了", "返回智能助手。"])
async def test_cancel_in_words(client, words):
    await say(client, "w-words", "转人工")
    await say(client, "w-words", words)
    assert (await conversation(client, "w-words")).status == "bot"


async def test_restart_during_a_takeover_ends_it_for_the_console_too(client, rasa):
    await say(client, "w-restart", "转人工")
    await staff_takes(client, "w-restart")
    answer = await say(client, "w-restart", "/restart")
    assert "重新开始" in answer[0]["text"]
    conv = await conversation(client, "w-restart")
    assert (conv.status, conv.assigned_to) == ("bot", None)  # what the console shows
    assert rasa.sent[-1][1] == "/restart" and rasa.trackers["w-restart"]["paused"] is False


async def test_only_staff_or_the_user_end_it_even_when_rasa_forgot_the_pause(client, rasa):
    await say(client, "w-held", "转人工")
    rasa.trackers["w-held"]["paused"] = False  # e.g. Rasa started a new session after a day of waiting
    sent = len(rasa.sent)
    assert await say(client, "w-held", "卖过期食品会被罚多少钱") == []
    assert len(rasa.sent) == sent and (await conversation(client, "w-held")).status == "queued"


async def test_a_conversation_rasa_paused_without_the_card_still_reaches_the_queue(client, rasa):
    rasa.trackers["w-paused"] = {"sender_id": "w-paused", "events": [], "paused": True}
    messages = await say(client, "w-paused", "你好")
    assert notices(messages) and (await conversation(client, "w-paused")).status == "queued"


async def test_staff_take_and_hand_back_records_the_handoff_and_does_not_requeue(client, rasa):
    await say(client, "w-back", "转人工")
    await staff_takes(client, "w-back")
    assert await say(client, "w-back", "我想问罚款能分期吗") == []
    await handoff.back_to_bot(client.app, "w-back", "staff")
    assert rasa.appended[-1][1][-1] == {"event": "action", "name": "action_listen",
                                         "timestamp": rasa.appended[-1][1][-1]["timestamp"]}
    answer = await say(client, "w-back", "卖过期食品会被罚多少钱")
    assert answer[0]["custom"]["topic"] == "compliance" and not notices(answer)
    assert (await conversation(client, "w-back")).status == "bot"
    record = await client.app["db"].run(lambda s: s.query(Handoff).filter_by(sender_id="w-back").one())
    assert record.taken_by == "wangfang" and record.ended_by == "staff" and record.taken_at >= record.requested_at


def wechat_post(client, content: str, msg_id: str, openid: str = "oHandoff0000000000000001"):
    ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    signature = hashlib.sha1("".join(sorted([TOKEN, ts, nonce])).encode()).hexdigest()
    xml = (f"<xml><ToUserName>gh_test</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{ts}</CreateTime>"
           f"<MsgType>text</MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")
    return client.post("/wechat", params={"signature": signature, "timestamp": ts, "nonce": nonce}, data=xml.encode(),
                       headers={"Content-Type": "text/xml"})


async def test_wechat_first_message_queues_tells_the_place_then_stays_quiet_and_cancels_with_1(client, rasa):
    resp = await wechat_post(client, "转人工", "41000000000000001")
    reply = xmltodict.parse(await resp.text())["xml"]["Content"]
    assert "第 1 位" in reply and "回复1：取消转人工" in reply
    sender = "wx-oHandoff0000000000000001"
    assert (await conversation(client, sender)).status == "queued"
    resp = await wechat_post(client, "我的问题是罚款", "41000000000000002")
    assert await resp.text() == "success"  # no repeated notice
    resp = await wechat_post(client, "1", "41000000000000003")  # the numbered button: cancel
    assert "已取消人工服务" in xmltodict.parse(await resp.text())["xml"]["Content"]
    assert (await conversation(client, sender)).status == "bot"
