"""The WeChat Official Account door (bot/web/wechat.py) against a fake Rasa."""
from __future__ import annotations

import asyncio
import hashlib
import time
import uuid

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot.web import wechat
from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import Conversation, TurnLog, WechatSeen
from bot.web.delivery import deliver
from bot.web.wechat_sender import RecordingSender
from tests.web.fakes import FakeRasa as BaseFakeRasa


def FakeRasa(answer=None, **kw):  # noqa: N802 - the wechat tests answer with ANSWER by default
    return BaseFakeRasa(answer=answer or (lambda sender, text: [{"recipient_id": sender, **ANSWER}]), **kw)

TOKEN = "hegui-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the account settings page shows it
APP_ID = "wx0123456789abcdef"
OPENID = "oABCD1234efgh5678ijkl9012mn"
ACCOUNT = "gh_0123456789ab"

ANSWER = {
    "text": "商品或服务未明码标价，可以并处五千元以下的罚款。",
    "buttons": [{"title": "第一次被查，能不罚吗？", "payload": "/ask_exemption{\"violation\": \"x\"}"},
                {"title": "转人工", "payload": "/handoff"}],
    "custom": {"topic": "compliance", "kb_ids": ["market.price.no_price_tag"], "citations": [
        {"law": "中华人民共和国价格法", "article": "第十三条", "quote": "经营者销售……应当明码标价", "version": "1997-12-29"},
        {"law": "中华人民共和国价格法", "article": "第四十二条", "quote": "经营者违反明码标价规定的……", "version": "1997"},
        {"law": "明码标价和禁止价格欺诈规定", "article": "第五条", "quote": "经营者……应当明码标价。", "version": "2022"},
    ]},
}


def make_settings(tmp_path, **kw) -> Settings:
    defaults = dict(database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key="test-secret",
                    wechat_token=TOKEN, wechat_aes_key=AES_KEY, wechat_app_id=APP_ID, wechat_secret="",
                    public_url="https://hegui.example", rate_limit_per_minute=1000,
                    tracker_db_url=f"sqlite:///{tmp_path / 'tracker.db'}")
    defaults.update(kw)
    return Settings(**defaults)


@pytest.fixture
def rasa():
    return FakeRasa()


@pytest.fixture
async def client(aiohttp_client, tmp_path, rasa):
    app = create_app(make_settings(tmp_path), rasa=rasa)
    return await aiohttp_client(app)


def sign(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature, computed here independently of wechatpy."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def query(ts: float | None = None, nonce: str | None = None, **extra) -> dict:
    """Signed query parameters as WeChat sends them: a fresh nonce per request, the current time."""
    ts, nonce = str(int(time.time() if ts is None else ts)), nonce or uuid.uuid4().hex[:10]
    return {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": OPENID, **extra}


def text_xml(content: str, msg_id: str = "24000000000000001", openid: str = OPENID) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def event_xml(event: str, key: str = "") -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>")


def media_xml(msg_type: str, msg_id: str, extra: str = "") -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
            f"<MediaId><![CDATA[media1]]></MediaId>{extra}<MsgId>{msg_id}</MsgId></xml>")


async def post(client, xml: str | bytes, params: dict | None = None):
    return await client.post("/wechat", params=params or query(), data=xml,
                             headers={"Content-Type": "text/xml"})


async def reply_content(resp) -> str:
    assert resp.status == 200, await resp.text()
    body = await resp.text()
    data = xmltodict.parse(body)["xml"]
    assert data["ToUserName"] == OPENID and data["FromUserName"] == ACCOUNT and data["MsgType"] == "text"
    return data["Content"]


# ---------------------------------------------------------------------------------------------- verification


async def test_get_verification_echoes_with_right_signature(client):
    resp = await client.get("/wechat", params=query(echostr="1234567890abc"))
    assert resp.status == 200
    assert await resp.text() == "1234567890abc"


@pytest.mark.parametrize("mutate", [
    lambda q: {**q, "signature": "0" * 40},
    lambda q: {**q, "nonce": q["nonce"] + "x"},  # signed for another nonce
    lambda q: {k: v for k, v in q.items() if k != "signature"},
    lambda q: {**q, "signature": sign("another-token", q["timestamp"], q["nonce"])},
])
async def test_get_verification_refuses_wrong_signature(client, mutate):
    resp = await client.get("/wechat", params=mutate(query(echostr="abc")))
    assert resp.status == 403
    assert "abc" not in await resp.text()


async def test_unconfigured_token_answers_503(aiohttp_client, tmp_path, rasa):
    app = create_app(make_settings(tmp_path, wechat_token=""), rasa=rasa)
    c = await aiohttp_client(app)
    ts, nonce = "1", "2"
    resp = await c.get("/wechat", params={"signature": sign("", ts, nonce), "timestamp": ts, "nonce": nonce,
                                           "echostr": "x"})
    assert resp.status == 503
    assert "WECHAT_TOKEN" in await resp.text()


# ---------------------------------------------------------------------------------------------- plain text


async def test_plain_text_message_gets_rendered_answer(client, rasa):
    content = await reply_content(await post(client, text_xml("饭店没有明码标价会被罚多少")))
    assert rasa.sent == [("wx-" + OPENID, "饭店没有明码标价会被罚多少", {"channel": "wechat"})]
    assert content.startswith(ANSWER["text"])
    assert "依据：《中华人民共和国价格法》第十三条、第四十二条" in content
    assert "依据：《明码标价和禁止价格欺诈规定》第五条" in content
    assert "回复1：第一次被查，能不罚吗？\n回复2：转人工" in content

    def read(s):
        conv = s.get(Conversation, "wx-" + OPENID)
        turns = s.query(TurnLog).filter_by(sender_id="wx-" + OPENID).order_by(TurnLog.id).all()
        return conv.channel, [(t.direction, t.text) for t in turns]

    channel, turns = await client.app["db"].run(read)
    assert channel == "wechat"
    assert turns == [("user", "饭店没有明码标价会被罚多少"), ("bot", ANSWER["text"])]


async def test_citations_already_named_in_the_text_are_not_repeated():
    text = "处罚见法律依据：《中华人民共和国价格法》第十三条、第四十二条"
    body, _ = wechat.render_messages([{**ANSWER, "text": text}])
    assert "依据：《中华人民共和国价格法》" not in body.replace(text, "")
    assert "依据：《明码标价和禁止价格欺诈规定》第五条" in body


async def test_numbered_reply_sends_the_button_payload(client, rasa):
    await reply_content(await post(client, text_xml("明码标价", msg_id="1001")))
    await reply_content(await post(client, text_xml("1", msg_id="1002")))
    assert rasa.sent[-1][1] == ANSWER["buttons"][0]["payload"]
    await reply_content(await post(client, text_xml("２", msg_id="1003")))  # full-width digit
    assert rasa.sent[-1][1] == "/handoff"
    await reply_content(await post(client, text_xml("7", msg_id="1004")))  # no such button: plain text
    assert rasa.sent[-1][1] == "7"


async def test_numbered_reply_after_restart_reads_buttons_from_tracker(client, rasa):
    await rasa.append_events("wx-" + OPENID, [{"event": "bot", "text": "x", "data": {
        "buttons": [{"title": "看法条原文", "payload": "/ask_why"}]}}])
    await reply_content(await post(client, text_xml("1", msg_id="2001")))
    assert rasa.sent[-1][1] == "/ask_why"


async def test_rasa_down_gives_a_clear_message(aiohttp_client, tmp_path):
    app = create_app(make_settings(tmp_path), rasa=FakeRasa(fail=True))
    c = await aiohttp_client(app)
    content = await reply_content(await post(c, text_xml("你好")))
    assert "暂时无法连接" in content


async def test_answer_with_cdata_terminator_survives(aiohttp_client, tmp_path):
    nasty = "a]]><b>&amp;</b>\x07c"
    app = create_app(make_settings(tmp_path), rasa=FakeRasa(answer=lambda s, t: [{"text": nasty}]))
    c = await aiohttp_client(app)
    assert await reply_content(await post(c, text_xml("hi"))) == "a]]><b>&amp;</b>c"


async def test_long_answer_comes_in_parts(aiohttp_client, tmp_path):
    long_text = "\n".join(f"第{i}条：" + "经营者应当依法经营，" * 8 for i in range(60))
    rasa = FakeRasa(answer=lambda s, t: [{"text": long_text}])
    c = await aiohttp_client(create_app(make_settings(tmp_path), rasa=rasa))
    parts = [await reply_content(await post(c, text_xml("长问题", msg_id="3001")))]
    for i in range(20):
        if "回复“继续”" not in parts[-1]:
            break
        parts.append(await reply_content(await post(c, text_xml("继续", msg_id=f"31{i:02d}"))))
    assert len(parts) > 1
    assert all(len(p.encode()) <= wechat.PAGE_BYTES for p in parts)
    joined = "\n".join(p.replace(wechat.MORE_FOOTER, "") for p in parts)
    assert joined == long_text
    assert len(rasa.sent) == 1  # “继续” never reached Rasa


# ---------------------------------------------------------------------------------------------- AES safe mode


def aes_params(crypto: WeChatCrypto, plain_xml: str, nonce: str = "") -> tuple[dict, str]:
    ts, nonce = str(int(time.time())), nonce or uuid.uuid4().hex[:10]
    encrypted = crypto.encrypt_message(plain_xml, nonce, ts)
    msg_signature = xmltodict.parse(encrypted)["xml"]["MsgSignature"]
    params = {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": OPENID,
              "encrypt_type": "aes", "msg_signature": msg_signature}
    return params, encrypted


async def test_aes_message_is_decrypted_and_reply_encrypted(client, rasa):
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    params, body = aes_params(crypto, text_xml("年报什么时候报", msg_id="4001"))
    assert "年报" not in body
    resp = await post(client, body, params)
    assert resp.status == 200
    encrypted_reply = await resp.text()
    assert "明码标价" not in encrypted_reply
    outer = xmltodict.parse(encrypted_reply)["xml"]
    plain = crypto.decrypt_message(encrypted_reply, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
    content = xmltodict.parse(plain)["xml"]["Content"]
    assert content.startswith(ANSWER["text"])
    assert rasa.sent[0][:2] == ("wx-" + OPENID, "年报什么时候报")


async def test_aes_wrong_msg_signature_is_refused(client, rasa):
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    params, body = aes_params(crypto, text_xml("hi", msg_id="4002"))
    resp = await post(client, body, {**params, "msg_signature": "f" * 40})
    assert resp.status == 403
    assert rasa.sent == []


async def test_aes_message_for_another_app_is_refused(client, rasa):
    other = WeChatCrypto(TOKEN, AES_KEY, "wxffffffffffffffff")
    params, body = aes_params(other, text_xml("hi", msg_id="4003"))
    resp = await post(client, body, params)
    assert resp.status == 403
    assert rasa.sent == []


async def test_aes_garbage_ciphertext_is_400(client):
    ts, nonce, encrypt = str(int(time.time())), "n1", "bm90IGEgY2lwaGVydGV4dA=="
    msg_signature = hashlib.sha1("".join(sorted([TOKEN, ts, nonce, encrypt])).encode()).hexdigest()
    params = {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "encrypt_type": "aes",
              "msg_signature": msg_signature}
    resp = await post(client, f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>", params)
    assert resp.status == 400
    assert "解密" in await resp.text()


async def test_aes_with_hostile_inner_xml_is_400(client, rasa):
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    inner = '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>'
    params, body = aes_params(crypto, inner)
    resp = await post(client, body, params)
    assert resp.status == 400
    assert rasa.sent == []


# ---------------------------------------------------------------------------------------------- signatures, XML


async def test_post_with_wrong_signature_is_refused(client, rasa):
    resp = await post(client, text_xml("hi"), {**query(), "signature": "deadbeef" * 5})
    assert resp.status == 403
    resp = await post(client, text_xml("hi"), {k: v for k, v in query().items() if k != "signature"})
    assert resp.status == 403
    assert rasa.sent == []


@pytest.mark.parametrize("body, words", [
    (b"", "为空"),
    (b"not xml at all", "XML"),
    (b"<xml><MsgType>text</MsgType>", "XML"),  # unclosed
    (b"<root><a>1</a></root>", "<xml>"),
    (b"<xml></xml>", "<xml>"),
    (b"<xml><MsgType>text</MsgType></xml>", "缺少"),
    (f"<xml><ToUserName>a</ToUserName><FromUserName>{OPENID}</FromUserName><FromUserName>x</FromUserName>"
     f"<MsgType>text</MsgType></xml>".encode(), "格式错误"),  # repeated element
    (f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>../../etc</FromUserName>"
     f"<MsgType>text</MsgType></xml>".encode(), "FromUserName"),
    ("<xml><Content>\udcff</Content></xml>".encode("utf-8", "surrogatepass"), "XML"),
])
async def test_malformed_xml_is_400_with_a_message(client, rasa, body, words):
    resp = await post(client, body)
    assert resp.status == 400
    assert words in await resp.text()
    assert rasa.sent == []


async def test_oversized_xml_is_400(client, rasa):
    body = text_xml("长" * (wechat.MAX_XML_BYTES // 3 + 10))
    resp = await post(client, body)
    assert resp.status == 400
    assert "过大" in await resp.text()
    assert rasa.sent == []


XXE_FILE = (f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{OPENID}</FromUserName>"
            f"<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>5001</MsgId></xml>")
XXE_PARAMETER = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>'
                 f"<xml><FromUserName>{OPENID}</FromUserName></xml>")
XXE_EXTERNAL_DTD = f'<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><FromUserName>{OPENID}</FromUserName></xml>'
BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                            for i in range(1, 10))
                  + ']><xml><Content>&lol9;</Content></xml>')


@pytest.mark.parametrize("payload", [XXE_FILE, XXE_PARAMETER, XXE_EXTERNAL_DTD, BILLION_LAUGHS,
                                     XXE_FILE.replace("DOCTYPE", "doctype")])
async def test_hostile_xml_is_refused_and_never_resolved(client, rasa, payload):
    resp = await post(client, payload)
    assert resp.status == 400
    body = await resp.text()
    assert "root:" not in body and "lollol" not in body
    assert rasa.sent == []


@pytest.mark.parametrize("payload", [XXE_FILE, BILLION_LAUGHS])
def test_xmltodict_as_wechatpy_uses_it_refuses_entity_declarations(payload):
    # wechatpy.parser.parse_message calls xmltodict.parse with its defaults: entity declarations raise
    from wechatpy.parser import parse_message

    with pytest.raises(ValueError):
        parse_message(payload)


def test_parse_xml_rejects_dtd_before_parsing():
    with pytest.raises(wechat.BadXml, match="DTD"):
        wechat.parse_xml(XXE_EXTERNAL_DTD)


# ---------------------------------------------------------------------------------------------- retries, slow Rasa


async def test_retried_msg_id_does_not_create_a_second_turn(client, rasa):
    first = await reply_content(await post(client, text_xml("明码标价", msg_id="6001")))
    again = await reply_content(await post(client, text_xml("明码标价", msg_id="6001")))
    assert again == first
    assert len(rasa.sent) == 1
    turns = await client.app["db"].run(lambda s: s.query(TurnLog).filter_by(direction="user").count())
    assert turns == 1
    # a retry that reaches another process (only the database knows the MsgId): "success", still no turn
    client.app["wechat"].turns.clear()
    resp = await post(client, text_xml("明码标价", msg_id="6001"))
    assert resp.status == 200 and await resp.text() == "success"
    assert len(rasa.sent) == 1
    assert await client.app["db"].run(lambda s: s.get(WechatSeen, "6001")) is not None


async def test_slow_answer_gets_holding_reply_then_arrives_through_sender(aiohttp_client, tmp_path):
    rasa = FakeRasa(delay=0.6)
    app = create_app(make_settings(tmp_path), rasa=rasa)
    state = app["wechat"]
    state.reply_timeout = 0.1
    assert isinstance(state.sender, RecordingSender)  # no app secret configured
    c = await aiohttp_client(app)
    started = time.monotonic()
    content = await reply_content(await post(c, text_xml("慢问题", msg_id="7001")))
    assert time.monotonic() - started < 0.5
    assert content.startswith("正在查询，请稍候…")
    # WeChat retries the same MsgId while Rasa is still working: holding reply again, no second turn
    retry = await reply_content(await post(c, text_xml("慢问题", msg_id="7001")))
    assert retry.startswith("正在查询")
    # “继续” while the answer is still coming: holding, and nothing sent to Rasa
    waiting = await reply_content(await post(c, text_xml("继续", msg_id="7002")))
    assert waiting.startswith("正在查询")
    sent = await state.sender.wait_for(1, timeout=5)
    assert sent[0][0] == OPENID
    assert sent[0][1].startswith(ANSWER["text"]) and "回复1：" in sent[0][1]
    assert [t for _, t, _ in rasa.sent] == ["慢问题"]
    # the turn was recorded, and without push credentials the answer can be fetched with “继续”
    turns = await app["db"].run(lambda s: [t.direction for t in s.query(TurnLog).filter_by(sender_id="wx-" + OPENID)])
    assert turns == ["user", "bot"]
    fetched = await reply_content(await post(c, text_xml("继续", msg_id="7003")))
    assert fetched.startswith(ANSWER["text"])
    # and its buttons work
    await reply_content(await post(c, text_xml("2", msg_id="7004")))
    assert rasa.sent[-1][1] == "/handoff"


async def test_retry_while_first_request_still_waits_moves_the_answer_to_the_sender(aiohttp_client, tmp_path):
    rasa = FakeRasa(delay=0.4)
    app = create_app(make_settings(tmp_path), rasa=rasa)
    app["wechat"].reply_timeout = 2.0
    c = await aiohttp_client(app)

    async def retry_soon():
        await asyncio.sleep(0.1)
        return await post(c, text_xml("问题", msg_id="7201"))

    first, retry = await asyncio.gather(post(c, text_xml("问题", msg_id="7201")), retry_soon())
    # WeChat shows the reply of the last attempt only: both say “please wait”, and the answer is sent
    assert (await reply_content(retry)).startswith("正在查询")
    assert (await reply_content(first)).startswith("正在查询")
    sent = await app["wechat"].sender.wait_for(1)
    assert sent[0][1].startswith(ANSWER["text"])
    assert len(rasa.sent) == 1


async def test_slow_answer_with_push_sender_says_only_holding(aiohttp_client, tmp_path):
    app = create_app(make_settings(tmp_path), rasa=FakeRasa(delay=0.3))
    state = app["wechat"]
    state.reply_timeout = 0.05
    state.sender = RecordingSender(can_push=True)
    c = await aiohttp_client(app)
    content = await reply_content(await post(c, text_xml("慢问题", msg_id="7101")))
    assert content == wechat.HOLDING
    await state.sender.wait_for(1)
    assert "wx-" + OPENID not in state.more  # delivered, nothing left to fetch


# ---------------------------------------------------------------------------------------------- non-text, push


async def test_subscribe_gets_welcome_and_what_to_ask(client, rasa):
    content = await reply_content(await post(client, event_xml("subscribe")))
    assert "欢迎关注合规通" in content and "年报" in content and "转人工" in content
    scan = await reply_content(await post(client, event_xml("subscribe", "qrscene_123")))
    assert "欢迎" in scan
    assert rasa.sent == []


async def test_unsubscribe_and_unknown_events_answer_success(client):
    for event in ("unsubscribe", "VIEW", "TEMPLATESENDJOBFINISH"):
        resp = await post(client, event_xml(event))
        assert resp.status == 200 and await resp.text() == "success"


@pytest.mark.parametrize("msg_type, words", [
    ("image", "图片"), ("voice", "语音"), ("video", "视频"), ("shortvideo", "视频"), ("location", "位置"),
    ("link", "链接"), ("file", "文件"), ("miniprogrampage", "文字"),
])
async def test_non_text_messages_get_helpful_text(client, rasa, msg_type, words):
    content = await reply_content(await post(client, media_xml(msg_type, msg_id=f"8{len(msg_type)}{msg_type}")))
    assert words in content and "文字" in content
    assert rasa.sent == []


async def test_voice_with_recognition_is_a_question(client, rasa):
    xml = media_xml("voice", "8101", "<Format>amr</Format><Recognition><![CDATA[年报什么时候报]]></Recognition>")
    content = await reply_content(await post(client, xml))
    assert content.startswith(ANSWER["text"])
    assert rasa.sent[0][1] == "年报什么时候报"


async def test_agent_reply_reaches_wechat_user(client):
    await reply_content(await post(client, text_xml("转人工", msg_id="9001")))  # the conversation is a WeChat one
    app = client.app
    await deliver(app, "wx-" + OPENID, "您好，我是客服小李。", buttons=[{"title": "好的", "payload": "好的"}],
                  agent="li")
    assert app["wechat"].sender.sent[-1] == (OPENID, "您好，我是客服小李。\n\n回复1：好的")
    # without push credentials the user can still fetch it
    assert app["wechat"].more["wx-" + OPENID][0].startswith("您好，我是客服小李。")


def test_paginate_keeps_every_character():
    text = "x" * 5000 + "\n" + "中" * 1500
    pages = wechat.paginate(text)
    assert all(len(p.encode()) <= wechat.PAGE_BYTES for p in pages)
    assert "".join(p.replace(wechat.MORE_FOOTER, "") for p in pages).replace("\n", "") == text.replace("\n", "")


# ---------------------------------------------------------------------------------------------- replays


@pytest.mark.parametrize("age", [301, 30 * 86400, -301])
async def test_a_signed_url_outside_five_minutes_is_refused(client, rasa, age):
    resp = await post(client, text_xml("你好", msg_id="31000000000000001"), query(ts=time.time() - age))
    assert resp.status == 403 and "5分钟" in await resp.text()
    assert rasa.sent == []


async def test_a_used_nonce_with_another_body_is_refused(client, rasa):
    params = query()
    assert (await post(client, text_xml("你好", msg_id="31000000000000002"), params)).status == 200
    forged = text_xml("继续", msg_id="31000000000000003", openid="oVictim00000000000000000001")
    resp = await post(client, forged, params)
    assert resp.status == 403 and "nonce" in await resp.text()
    assert [sender for sender, _, _ in rasa.sent] == ["wx-" + OPENID]


async def test_wechats_own_retry_with_the_same_url_and_body_is_answered_once(client, rasa):
    params, body = query(), text_xml("没有明码标价会被罚吗", msg_id="31000000000000004")
    first = await reply_content(await post(client, body, params))
    again = await post(client, body, params)  # WeChat retries with the very same URL and body
    assert again.status == 200
    assert len(rasa.sent) == 1 and "明码标价" in first


async def test_safe_mode_refuses_a_replayed_nonce_too(client, rasa):
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    params, encrypted = aes_params(crypto, text_xml("你好", msg_id="31000000000000005"))
    assert (await client.post("/wechat", params=params, data=encrypted)).status == 200
    _, other = aes_params(crypto, text_xml("你好", msg_id="31000000000000006"), nonce=params["nonce"])
    resp = await client.post("/wechat", params=params, data=other)
    assert resp.status == 403
    assert len(rasa.sent) == 1


async def test_replicas_sharing_redis_refuse_a_nonce_seen_by_the_other(aiohttp_client, tmp_path, rasa):
    shared = dict(web_redis_url="redis://127.0.0.1:6379/3")
    one = await aiohttp_client(create_app(make_settings(tmp_path / "a", **shared), rasa=rasa))
    two = await aiohttp_client(create_app(make_settings(tmp_path / "b", **shared), rasa=rasa))
    params = query()
    assert (await post(one, text_xml("你好", msg_id="31000000000000007"), params)).status == 200
    resp = await post(two, text_xml("你好", msg_id="31000000000000008", openid="oOther000000000000000000001"), params)
    assert resp.status == 403
    assert len(rasa.sent) == 1
