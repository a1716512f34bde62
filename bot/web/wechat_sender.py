"""Sending a WeChat user a message outside the 5-second passive reply: the answer to a slow question, an agent's
reply, the rest of a long answer.

Two implementations of one small interface (``async send_text(openid, text)``):

* ``CustomerServiceSender`` calls the Official Account's customer-service message API (客服消息接口) through
  wechatpy's ``WeChatClient``; it needs ``WECHAT_APP_ID`` and ``WECHAT_APP_SECRET`` and an account with that
  API (a verified service or subscription account).  WeChat accepts such messages for 48 hours after the user's
  last message.
* ``RecordingSender`` keeps the messages in memory.  Tests read them; without credentials the front uses it
  too, so nothing is sent, and the user can fetch a deferred answer by replying “继续” (see bot/web/wechat.py).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

import structlog

from bot.web.privacy import mask

logger = structlog.get_logger()


class WechatSender(Protocol):
    can_push: bool  # True when the user really receives what is sent

    async def send_text(self, openid: str, text: str) -> None: ...


class CustomerServiceSender:
    can_push = True

    def __init__(self, app_id: str, secret: str, client=None):
        if client is None:
            from wechatpy import WeChatClient

            client = WeChatClient(app_id, secret)  # fetches and caches the access token itself
        self.client = client

    async def send_text(self, openid: str, text: str) -> None:
        # wechatpy is synchronous (requests): keep the event loop free
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, partial(self.client.message.send_text, openid, text))
        except Exception as e:
            logger.warning("wechat.send_failed", error=mask(str(e))[:300])
            raise


@dataclass
class RecordingSender:
    """Records what would have been sent; ``wait_for`` lets a test wait for a background delivery."""

    can_push: bool = False
    sent: list[tuple[str, str]] = field(default_factory=list)
    _changed: asyncio.Condition | None = None

    async def send_text(self, openid: str, text: str) -> None:
        self.sent.append((openid, text))
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            self._changed.notify_all()

    def texts(self, openid: str | None = None) -> list[str]:
        return [t for o, t in self.sent if openid is None or o == openid]

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, str]]:
        """Wait until at least ``count`` messages were recorded; return them."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent) >= count), timeout)
        return list(self.sent)


def make_sender(app_id: str, secret: str) -> WechatSender:
    if app_id and secret:
        return CustomerServiceSender(app_id, secret)
    return RecordingSender()
