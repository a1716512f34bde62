"""WeChat Official Account door: ``GET /wechat`` (server verification) and ``POST /wechat`` (user messages).

* Every request is signed by WeChat: ``signature`` = SHA-1 of the sorted token, timestamp and nonce.  A POST
  whose timestamp is more than 5 minutes off the server clock, or whose (timestamp, nonce) was already used for
  another body, is refused with 403: in plain mode the signature does not cover the body, so without this a
  signed URL, however old, could post as anyone (bot/web/nonces.py).  In safe
  mode (``encrypt_type=aes``) the body is AES-encrypted with the EncodingAESKey and signed again
  (``msg_signature``); the reply is encrypted the same way.  Wrong signatures answer 403; bodies that are not
  small, well-formed XML without DTDs answer 400 (the expat parser behind xmltodict never fetches external
  entities and xmltodict refuses entity declarations; we refuse any DTD before parsing).
* WeChat waits 5 seconds for the passive reply and then retries the same MsgId twice.  A turn waits
  ``reply_timeout`` (4 s) for Rasa; when Rasa is slower the user gets “正在查询，请稍候…” at once and the answer
  follows through the sender (bot/web/wechat_sender.py).  Retries never start a second turn: the MsgId is
  recorded in ``web_wechat_seen`` before the turn starts.
* Answers are plain text: the bot's text, “依据：《法》第X条” lines for citations the text does not already name,
  and buttons as “回复1：…”; replying “1” sends that button's payload.  WeChat shows at most about 2 KB per
  message, so long answers come in parts: “继续” fetches the next part (and a deferred answer when the
  account cannot push).
"""
from __future__ import annotations

import asyncio
import hashlib
import re
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from xml.parsers.expat import ExpatError

import structlog
import xmltodict
from aiohttp import web
from sqlalchemy.exc import IntegrityError
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot.web.conversation import APOLOGY, UNAVAILABLE, converse, system_message
from bot.web.db import WechatSeen
from bot.web.nonces import NonceStore
from bot.web.privacy import mask
from bot.web.rasa_client import RasaUnavailable
from bot.web.validation import BadInput, TooLarge, clean_text, read_limited
from bot.web.wechat_sender import WechatSender, make_sender

logger = structlog.get_logger()

MAX_XML_BYTES = 32 * 1024  # a text message is at most a few KB, encrypted or not
PAGE_BYTES = 2000  # WeChat truncates text messages beyond about 2048 bytes
MAX_BUTTONS = 9
RECENT_TURN_SECONDS = 120.0  # how long a MsgId's reply is kept in memory for WeChat's retries
HOLDING = "正在查询，请稍候…"
HOLDING_PULL = HOLDING + "\n约半分钟后回复“继续”查看答案。"
MORE_FOOTER = "\n\n（内容较长，回复“继续”查看下一部分）"
CONTINUE_WORDS = {"继续", "繼續", "下一页", "更多", "continue", "more"}
RATE_LIMITED = "发送太频繁，请稍后再试。"
WELCOME = (
    "您好，欢迎关注合规通！我帮小微企业和个体工商户查经营中的法律合规问题，回答都附法律依据。\n"
    "您可以直接用文字问，例如：\n"
    "· 饭店没有明码标价会被罚多少？\n"
    "· 第一次被查到，能不能不罚？\n"
    "· 公司年报什么时候报？\n"
    "· 和客户的合同纠纷，可以找哪里调解？\n"
    "· 打官司的诉讼费能不能缓交？\n"
    "需要工作人员帮忙时，发送“转人工”。\n"
    "以上为合规指引，仅供参考，不构成法律意见。"
)
HELP = "请直接用文字把问题发给我，例如“饭店没有明码标价会被罚多少？”或“公司年报什么时候报？”。需要人工时发送“转人工”。"
NON_TEXT = {
    "image": "暂时看不懂图片。" + HELP,
    "voice": "暂时听不懂这条语音。" + HELP,
    "video": "暂时看不懂视频。" + HELP,
    "shortvideo": "暂时看不懂视频。" + HELP,
    "location": "收到您的位置。如需查找当地的调解或办事渠道，请用文字说明所在城市和问题，例如“柳州的合同纠纷找哪里调解？”。",
    "link": "暂时打不开链接。" + HELP,
    "file": "暂时打不开文件。" + HELP,
}
OPENID_RE = re.compile(r"^[A-Za-z0-9_\-]{6,64}$")
ACCOUNT_RE = re.compile(r"^[A-Za-z0-9_\-@.]{1,64}$")
MSGID_RE = re.compile(r"^[0-9A-Za-z_\-]{1,60}$")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
NUMBER_RE = re.compile(r"^[0-9]{1,2}$")
MAX_SKEW_SECONDS = 300  # a signed request older or newer than this is refused


class BadXml(Exception):
    """The body is not a small, well-formed WeChat XML message (answered with 400 and this message)."""


class Bounded(OrderedDict):
    """A dict that forgets its oldest entries beyond ``maxsize`` (per-user memory of a busy account)."""

    def __init__(self, maxsize: int = 10000):
        super().__init__()
        self.maxsize = maxsize

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.maxsize:
            self.popitem(last=False)


@dataclass
class Inbound:
    openid: str
    account: str  # our Official Account's id (gh_...), the From of the reply
    msg_type: str
    create_time: str
    msg_id: str
    content: str = ""
    event: str = ""
    event_key: str = ""
    recognition: str = ""

    @property
    def sender(self) -> str:
        return "wx-" + self.openid

    def dedupe_key(self) -> str:
        if self.msg_id and MSGID_RE.match(self.msg_id):
            return self.msg_id
        # events have no MsgId: WeChat recommends FromUserName + CreateTime; hashed, so no OpenID is stored
        raw = f"{self.openid}|{self.create_time}|{self.msg_type}|{self.event}|{self.event_key}|{self.msg_id}"
        return "h:" + hashlib.sha256(raw.encode()).hexdigest()[:48]


@dataclass
class Turn:
    task: asyncio.Task | None = None
    reply: str | None = None  # the passive reply already given (sent again to a retry)
    deferred: bool = False  # the answer goes through the sender / “继续”
    seen_before: bool = False  # the MsgId was in the database: another process (or an earlier run) has it


@dataclass
class WechatState:
    token: str
    app_id: str
    sender: WechatSender
    crypto: Any = None
    crypto_error: str = ""
    nonces: NonceStore = field(default_factory=lambda: NonceStore(2 * MAX_SKEW_SECONDS))
    reply_timeout: float = 4.0
    buttons: Bounded = field(default_factory=Bounded)  # sender -> buttons of the last answer
    more: Bounded = field(default_factory=Bounded)  # sender -> parts of a long or deferred answer not yet shown
    pending: dict[str, Turn] = field(default_factory=dict)  # sender -> deferred turn still running
    turns: Bounded = field(default_factory=lambda: Bounded(50000))  # dedupe key -> recent turn
    tasks: set[asyncio.Task] = field(default_factory=set)

    def keep(self, task: asyncio.Task) -> asyncio.Task:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


# ---------------------------------------------------------------------------------------------- XML


def parse_xml(raw: bytes | str) -> dict:
    """The children of ``<xml>`` as a dict; BadXml for anything WeChat would not send."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_XML_BYTES:
        raise BadXml(f"消息过大：上限 {MAX_XML_BYTES} 字节")
    if not raw.strip():
        raise BadXml("消息为空：需要 XML 格式的微信消息")
    if DTD_RE.search(raw):
        raise BadXml("不接受含 DTD 或实体声明的 XML")
    try:
        data = xmltodict.parse(raw, disable_entities=True)
    except (ExpatError, ValueError) as e:
        raise BadXml(f"XML 格式错误：{str(e)[:80]}") from None
    root = data.get("xml") if isinstance(data, dict) else None
    if not isinstance(root, dict):
        raise BadXml("XML 格式错误：根元素应为 <xml> 且包含字段")
    return root


def _field(root: dict, name: str, required: bool = False) -> str:
    value = root.get(name)
    if value is None:
        if required:
            raise BadXml(f"缺少 {name} 字段")
        return ""
    if not isinstance(value, str):
        raise BadXml(f"{name} 字段格式错误")
    return value.strip() if name != "Content" else value


def read_message(root: dict) -> Inbound:
    msg = Inbound(
        openid=_field(root, "FromUserName", True),
        account=_field(root, "ToUserName", True),
        msg_type=_field(root, "MsgType", True).lower(),
        create_time=_field(root, "CreateTime"),
        msg_id=_field(root, "MsgId"),
        content=_field(root, "Content"),
        event=_field(root, "Event").lower(),
        event_key=_field(root, "EventKey"),
        recognition=_field(root, "Recognition"),
    )
    if not OPENID_RE.match(msg.openid):
        raise BadXml("FromUserName 格式错误")
    if not ACCOUNT_RE.match(msg.account):
        raise BadXml("ToUserName 格式错误")
    return msg


def _cdata(value: str) -> str:
    value = XML_ILLEGAL.sub("", value)
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(msg: Inbound, content: str) -> str:
    """A passive text reply.  (wechatpy's TextReply does not escape ``]]>`` inside the content.)"""
    return (
        f"<xml><ToUserName>{_cdata(msg.openid)}</ToUserName><FromUserName>{_cdata(msg.account)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


# ---------------------------------------------------------------------------------------------- rendering


def _citation_lines(text: str, citations: list) -> list[str]:
    by_law: dict[str, list[str]] = {}
    for c in citations or []:
        if not isinstance(c, dict) or not c.get("law"):
            continue
        law = str(c["law"]).strip("《》")
        articles = by_law.setdefault(law, [])
        article = str(c.get("article") or "")
        if article and article not in articles:
            articles.append(article)
    lines = []
    for law, articles in by_law.items():
        if f"《{law}》" in text and all(a in text for a in articles):
            continue  # the answer already names them (e.g. its own “法律依据：” line)
        lines.append(f"依据：《{law}》{'、'.join(articles)}")
    return lines


def render_messages(messages: list[dict]) -> tuple[str, list[dict]]:
    """Plain text for WeChat and the buttons it numbers."""
    parts: list[str] = []
    buttons: list[dict] = []
    for m in messages:
        if not isinstance(m, dict):
            continue
        text = str(m.get("text") or "").strip()
        lines = [text] if text else []
        if m.get("image"):
            lines.append(f"图片：{m['image']}")
        custom = m.get("custom") if isinstance(m.get("custom"), dict) else {}
        lines.extend(_citation_lines(text, custom.get("citations") or []))
        for b in m.get("buttons") or []:
            if isinstance(b, dict) and b.get("title") and len(buttons) < MAX_BUTTONS:
                buttons.append({"title": str(b["title"]), "payload": str(b.get("payload") or b["title"])})
        if lines:
            parts.append("\n".join(lines))
    body = "\n\n".join(parts)
    if buttons:
        body += ("\n\n" if body else "") + "\n".join(f"回复{i}：{b['title']}" for i, b in enumerate(buttons, 1))
    return body, buttons


def _split_line(line: str, limit: int) -> list[str]:
    out, cur = [], ""
    for ch in line:
        if len((cur + ch).encode()) > limit:
            out.append(cur)
            cur = ""
        cur += ch
    return out + [cur]


def paginate(text: str, footer: bool = True, limit: int = PAGE_BYTES) -> list[str]:
    """Split on line boundaries into parts of at most ``limit`` bytes (footer included where added)."""
    if len(text.encode()) <= limit:
        return [text]
    room = limit - (len(MORE_FOOTER.encode()) if footer else 0)
    pages, cur = [], ""
    for line in text.split("\n"):
        for piece in _split_line(line, room) if len(line.encode()) > room else [line]:
            candidate = f"{cur}\n{piece}" if cur else piece
            if len(candidate.encode()) > room and cur:
                pages.append(cur)
                cur = piece
            else:
                cur = candidate
    if cur:
        pages.append(cur)
    if footer:
        pages = [p + MORE_FOOTER for p in pages[:-1]] + pages[-1:]
    return pages


# ---------------------------------------------------------------------------------------------- turns


async def _first_seen(app: web.Application, key: str) -> bool:
    def add(s) -> bool:
        if s.get(WechatSeen, key) is not None:
            return False
        s.add(WechatSeen(msg_id=key))
        return True

    try:
        return await app["db"].run(add)
    except IntegrityError:  # the same MsgId inserted by another process a moment ago
        return False


async def _answer(app: web.Application, state: WechatState, sender: str, text: str, log_text: str) -> list[dict]:
    """One Rasa turn; never raises (the user always gets something)."""
    try:
        messages = await converse(app, sender, text, "wechat", log_text)
    except RasaUnavailable:
        return [system_message(sender, UNAVAILABLE, "smalltalk", error="rasa_unavailable")]
    except Exception:
        logger.exception("wechat.turn_failed", sender=sender)
        return [system_message(sender, APOLOGY, "smalltalk", error="exception")]
    _, buttons = render_messages(messages)
    if buttons:
        state.buttons[sender] = buttons
    elif messages:  # (a message held for an agent gets no answer: the last numbered choices still stand)
        state.buttons.pop(sender, None)
    return messages


async def _send_pages(state: WechatState, openid: str, text: str) -> None:
    """Push ``text`` through the sender; keep it for “继续” when the account cannot push or the push failed."""
    sender = "wx-" + openid
    pushed = False
    try:
        for page in paginate(text, footer=False):
            await state.sender.send_text(openid, page)
        pushed = state.sender.can_push
    except Exception as e:
        logger.warning("wechat.push_failed", sender=sender, error=mask(str(e))[:200])
    if not pushed:
        state.more[sender] = list(state.more.get(sender, [])) + paginate(text)


def _defer(app: web.Application, state: WechatState, msg: Inbound, turn: Turn) -> None:
    if turn.deferred or turn.task is None:
        return
    turn.deferred = True
    state.pending[msg.sender] = turn

    async def deliver_later() -> None:
        try:
            messages = await turn.task
            text, _ = render_messages(messages)
            if text:
                await _send_pages(state, msg.openid, text)
            logger.info("wechat.deferred_answer_sent", sender=msg.sender, pushed=state.sender.can_push)
        finally:
            if state.pending.get(msg.sender) is turn:
                del state.pending[msg.sender]

    state.keep(asyncio.create_task(deliver_later()))


def _holding(state: WechatState) -> str:
    return HOLDING if state.sender.can_push else HOLDING_PULL


def _retry_reply(app: web.Application, state: WechatState, msg: Inbound, turn: Turn) -> str | None:
    """A retried MsgId: never a second turn."""
    if turn.seen_before or turn.task is None:
        return turn.reply  # non-text replies are cached; otherwise "success"
    if not turn.task.done():
        # WeChat retries when it gave up on the first request: that request's reply will not be shown, so
        # the answer has to come through the sender
        _defer(app, state, msg, turn)
        return _holding(state)
    if turn.deferred:
        return None
    return turn.reply  # the first reply was lost on the way: send the same again


async def _buttons_from_tracker(app: web.Application, sender: str) -> list[dict]:
    """Buttons of the last bot message, for a number replied after a restart or on another process."""
    try:
        tracker = await app["rasa"].tracker(sender)
    except Exception:
        return []
    for event in reversed(tracker.get("events") or []):
        if isinstance(event, dict) and event.get("event") == "bot":
            data = event.get("data") or {}
            _, buttons = render_messages([{"buttons": data.get("buttons") or []}])
            return buttons
    return []


def _next_page(state: WechatState, sender: str) -> str | None:
    pages = state.more.pop(sender, None)
    if not pages:
        return None
    if len(pages) > 1:
        state.more[sender] = pages[1:]
    return pages[0]


async def _text_turn(app: web.Application, state: WechatState, msg: Inbound, turn: Turn, text: str) -> str | None:
    sender = msg.sender
    word = unicodedata.normalize("NFKC", text).strip().lower()
    if word in CONTINUE_WORDS:
        page = _next_page(state, sender)
        if page is not None:
            return page
        if sender in state.pending:
            return _holding(state)
    try:
        text = clean_text(text, app["settings"].max_text_bytes, "消息")
    except BadInput as e:
        return e.message if e.status != 413 else f"消息太长了，请分几条发送（每条不超过约 {app['settings'].max_text_bytes // 3} 个汉字）。"
    if not (await app["ratelimit"].sender(sender)).allowed:
        return RATE_LIMITED
    log_text = text
    if NUMBER_RE.match(word):
        buttons = state.buttons.get(sender) or await _buttons_from_tracker(app, sender)
        n = int(word)
        if 1 <= n <= len(buttons):
            text = log_text = buttons[n - 1]["payload"]
    state.more.pop(sender, None)  # a new question: the rest of the previous answer is no longer wanted
    turn.task = state.keep(asyncio.create_task(_answer(app, state, sender, text, log_text)))
    try:
        messages = await asyncio.wait_for(asyncio.shield(turn.task), state.reply_timeout)
    except asyncio.TimeoutError:
        _defer(app, state, msg, turn)
        logger.info("wechat.turn_deferred", sender=sender, timeout=state.reply_timeout)
        return _holding(state)
    except asyncio.CancelledError:  # WeChat hung up: the answer still has to reach the user
        _defer(app, state, msg, turn)
        raise
    if turn.deferred:  # a retry already promised the answer through the sender
        return _holding(state)
    body, _ = render_messages(messages)
    if not body:
        return None  # a message to the agent: nothing to say ("success")
    pages = paginate(body)
    if len(pages) > 1:
        state.more[sender] = pages[1:]
    return pages[0]


def _event_reply(msg: Inbound) -> str | None:
    if msg.event in ("subscribe", "subscribe_scan", "subscribe_scan_product"):
        return WELCOME
    if msg.event in ("click", "scan", "scancode_waitmsg"):
        return HELP
    return None  # unsubscribe, menu links, location reports, job notices: nothing to say


async def dispatch(app: web.Application, state: WechatState, msg: Inbound) -> str | None:
    """The passive reply's text, or None for “success” (no reply)."""
    key = msg.dedupe_key()
    turn = state.turns.get(key)
    if turn is not None:
        logger.info("wechat.retry", sender=msg.sender, msg_type=msg.msg_type)
        return _retry_reply(app, state, msg, turn)
    turn = Turn()
    state.turns[key] = turn
    asyncio.get_running_loop().call_later(RECENT_TURN_SECONDS, state.turns.pop, key, None)
    if not await _first_seen(app, key):
        turn.seen_before = True
        logger.info("wechat.duplicate", sender=msg.sender, msg_type=msg.msg_type)
        return None
    if msg.msg_type == "text":
        turn.reply = await _text_turn(app, state, msg, turn, msg.content)
    elif msg.msg_type == "voice" and msg.recognition.strip():  # speech recognition switched on for the account
        turn.reply = await _text_turn(app, state, msg, turn, msg.recognition)
    elif msg.msg_type == "event":
        turn.reply = _event_reply(msg)
    else:
        turn.reply = NON_TEXT.get(msg.msg_type, HELP)
    return turn.reply


# ---------------------------------------------------------------------------------------------- HTTP


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")


def _not_configured(state: WechatState) -> web.Response | None:
    if not state.token:
        return _plain(503, "微信公众号接入未配置：请设置 WECHAT_TOKEN")
    return None


def _signature_ok(state: WechatState, query) -> bool:
    signature, timestamp, nonce = query.get("signature"), query.get("timestamp"), query.get("nonce")
    if not (signature and timestamp and nonce):
        return False
    try:
        check_signature(state.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        return False
    return True


async def verify(request: web.Request) -> web.Response:
    state: WechatState = request.app["wechat"]
    if (resp := _not_configured(state)) is not None:
        return resp
    if not _signature_ok(state, request.query):
        logger.warning("wechat.bad_signature", method="GET")
        return _plain(403, "签名校验失败")
    return _plain(200, request.query.get("echostr", ""))


async def _replayed(state: WechatState, query, raw: bytes) -> str | None:
    """Why a correctly signed POST must still be refused (too old or too new, or a reused nonce), else None."""
    timestamp = query.get("timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        return "请求已过期：时间戳与服务器时间相差超过5分钟"
    fingerprint = hashlib.sha256(raw).hexdigest()
    if not await state.nonces.claim(f"{timestamp}:{query.get('nonce', '')}", fingerprint):
        return "重复的请求：这个 nonce 已经用过"
    return None


async def _read_body(request: web.Request) -> bytes:
    try:
        return await read_limited(request, MAX_XML_BYTES)
    except TooLarge:
        raise BadXml(f"消息过大：上限 {MAX_XML_BYTES} 字节") from None


async def receive(request: web.Request) -> web.Response:
    app = request.app
    state: WechatState = app["wechat"]
    if (resp := _not_configured(state)) is not None:
        return resp
    query = request.query
    if not _signature_ok(state, query):
        logger.warning("wechat.bad_signature", method="POST")
        return _plain(403, "签名校验失败")
    encrypted = query.get("encrypt_type", "raw").lower() == "aes"
    try:
        raw = await _read_body(request)
        refused = await _replayed(state, query, raw)
        if refused is not None:
            logger.warning("wechat.replay_refused", reason=refused)
            return _plain(403, refused)
        if encrypted:
            if state.crypto is None:
                return _plain(503, state.crypto_error or "安全模式未配置：请设置 WECHAT_AES_KEY 和 WECHAT_APP_ID")
            if not query.get("msg_signature"):
                return _plain(403, "缺少 msg_signature")
            encrypt = _field(parse_xml(raw), "Encrypt", True)
            try:
                plain = state.crypto.decrypt_message({"Encrypt": encrypt}, query["msg_signature"],
                                                     query["timestamp"], query["nonce"])
            except InvalidSignatureException:
                logger.warning("wechat.bad_msg_signature")
                return _plain(403, "消息签名校验失败")
            except InvalidAppIdException:
                return _plain(403, "消息的 AppID 与配置不符")
            except Exception:
                raise BadXml("无法解密消息：密文格式错误") from None
            root = parse_xml(plain)
        else:
            root = parse_xml(raw)
        msg = read_message(root)
    except BadXml as e:
        logger.info("wechat.bad_xml", reason=mask(str(e)))
        return _plain(400, str(e))
    reply = await dispatch(app, state, msg)
    if reply is None:
        return _plain(200, "success")
    xml = text_reply_xml(msg, reply)
    if encrypted:
        xml = state.crypto.encrypt_message(xml, query["nonce"])
    return web.Response(text=xml, content_type="application/xml")


async def push(app: web.Application, sender: str, text: str, buttons: list[dict]) -> None:
    """``app["push"]["wechat"]``: a message from outside Rasa (an agent's reply) to a WeChat user."""
    if not sender.startswith("wx-"):
        return
    state: WechatState = app["wechat"]
    body, numbered = render_messages([{"text": text, "buttons": buttons or []}])
    if numbered:
        state.buttons[sender] = numbered
    else:  # “1” now answers this message (an agent's question), not the buttons of an earlier one
        state.buttons.pop(sender, None)
    await _send_pages(state, sender[3:], body)


def _make_crypto(token: str, aes_key: str, app_id: str) -> tuple[Any, str]:
    if not aes_key:
        return None, ""
    if not app_id:
        return None, "安全模式需要 WECHAT_APP_ID"
    from wechatpy.crypto import WeChatCrypto

    try:
        return WeChatCrypto(token, aes_key, app_id), ""
    except Exception:
        logger.error("wechat.bad_aes_key")
        return None, "WECHAT_AES_KEY 无效：应为公众号后台生成的43位 EncodingAESKey"


def setup(app: web.Application) -> None:
    settings = app["settings"]
    crypto, crypto_error = _make_crypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)
    state = WechatState(
        token=settings.wechat_token,
        app_id=settings.wechat_app_id,
        sender=make_sender(settings.wechat_app_id, settings.wechat_secret),
        crypto=crypto,
        crypto_error=crypto_error,
        reply_timeout=settings.wechat_reply_timeout,
        nonces=NonceStore(2 * MAX_SKEW_SECONDS, settings.web_redis_url),
    )
    app["wechat"] = state

    async def push_to_wechat(sender: str, text: str, buttons: list[dict]) -> None:
        await push(app, sender, text, buttons)

    app.setdefault("push", {}).setdefault("wechat", []).append(push_to_wechat)
    app.router.add_get("/wechat", verify)
    app.router.add_post("/wechat", receive)

    async def finish_deliveries(app: web.Application) -> None:
        tasks = list(state.tasks)
        if tasks:
            _, still = await asyncio.wait(tasks, timeout=5)
            for t in still:
                t.cancel()

    async def close_nonces(app: web.Application) -> None:
        await state.nonces.close()

    app.on_shutdown.append(finish_deliveries)
    app.on_cleanup.append(close_nonces)
