"""Input checks shared by every public endpoint: a clear message for bad input, never a stack trace."""
from __future__ import annotations

import json
import re
import unicodedata

from aiohttp import web

# \Z, not $: "$" also matches before a trailing newline, which would let "abc\n" through as a second "abc"
SENDER_RE = re.compile(r"\A[A-Za-z0-9_.:@\-]{1,128}\Z")


def error(status: int, message: str, **extra) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


class BadInput(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class TooLarge(Exception):
    pass


async def read_limited(request: web.Request, max_bytes: int) -> bytes:
    """The whole body, or TooLarge as soon as it exceeds ``max_bytes`` (never reads more than that + 1)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise TooLarge(max_bytes)
    chunks, size = [], 0
    while True:  # a body may arrive in several chunks: read until the end or the limit
        chunk = await request.content.read(max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(max_bytes)
    return b"".join(chunks)


async def read_json(request: web.Request, max_bytes: int) -> dict:
    if request.content_type != "application/json":
        raise BadInput(415, "请求体必须是 JSON（Content-Type: application/json）")
    try:
        raw = await read_limited(request, max_bytes)
    except TooLarge:
        raise BadInput(413, f"请求过大：上限 {max_bytes} 字节") from None
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise BadInput(400, "请求体必须是 JSON 对象")
    return body


def parse_json(raw: bytes):
    """The JSON value of ``raw``; BadInput(400) for anything else, including nesting deeper than Python recurses."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadInput(400, "请求体不是合法的 JSON") from None
    except RecursionError:
        raise BadInput(400, "请求体的 JSON 嵌套过深") from None


def clean_text(value, max_bytes: int, field: str = "message") -> str:
    if not isinstance(value, str):
        raise BadInput(400, f"{field} 必须是字符串")
    # control characters (except newline/tab) carry no meaning for the assistant
    text = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if not text:
        raise BadInput(400, f"{field} 不能为空")
    if len(text.encode("utf-8")) > max_bytes:
        raise BadInput(413, f"{field} 过长：上限 {max_bytes} 字节（约 {max_bytes // 3} 个汉字）")
    return text


def clean_sender(value) -> str:
    if not isinstance(value, str) or not SENDER_RE.match(value):
        raise BadInput(400, "sender 必须是 1–128 位的字母、数字或 _.:@- 字符")
    return value
