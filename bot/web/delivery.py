"""Putting a message into a user's conversation from outside Rasa (an agent's reply, a registration prompt).

The message is appended to Rasa's tracker as a bot event (so it is part of the history every channel reads),
logged in the front's turn log, and pushed to the user's channel where the channel is push-based (WeChat's
customer-service API; the widget polls its history).
"""
from __future__ import annotations

import time
from typing import Any

import structlog
from aiohttp import web

from bot.web.db import Conversation, TurnLog, utcnow

logger = structlog.get_logger()


async def deliver(
    app: web.Application,
    sender: str,
    text: str,
    *,
    custom: dict | None = None,
    buttons: list[dict] | None = None,
    agent: str | None = None,
    direction: str = "agent",
) -> None:
    data: dict[str, Any] = {}
    if buttons:
        data["buttons"] = buttons
    if custom:
        data["custom"] = custom
    event = {"event": "bot", "text": text, "data": data, "timestamp": time.time(),
             "metadata": {"agent": agent} if agent else {"source": direction}}
    await app["rasa"].append_events(sender, [event])

    def log(s):
        s.add(TurnLog(sender_id=sender, direction=direction, text=text, topic=(custom or {}).get("topic"),
                      kb_ids=(custom or {}).get("kb_ids")))
        conv = s.get(Conversation, sender)
        if conv is not None:
            conv.last_seen_at = utcnow()
            return conv.channel
        return None

    channel = await app["db"].run(log)
    for push in app.get("push", {}).get(channel or "", []):
        try:
            await push(sender, text, buttons or [])
        except Exception:  # a failed push must not lose the message: it is in the tracker already
            logger.exception("delivery.push_failed", channel=channel)
    waiter = app.get("waiters", {}).get(sender)
    if waiter is not None:
        waiter.set()
