"""REST channel that keeps each bot message whole: text, buttons and the answer card in one object.

Rasa's stock REST channel splits a message's text on blank lines and sends its ``custom`` card as a separate
message, so a renderer could not tell which card belongs to which text.  This channel returns, per bot
utterance, one object in the REST format: ``{"recipient_id", "text", "buttons", "custom", "image"}``.
The web front (bot/web) is its only client; Rasa listens on loopback.
"""
from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

import bot.rasa_patches  # noqa: F401  (the server loads this channel: apply the fixes to Rasa internals)

logger = structlog.get_logger()
MESSAGE_KEYS = ("text", "buttons", "image", "attachment", "custom")
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class CardCollectingOutputChannel(CollectingOutputChannel):
    @classmethod
    def name(cls) -> str:
        return "card"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        out: dict[str, Any] = {"recipient_id": recipient_id}
        if message.get("quick_replies") and not message.get("buttons"):
            message["buttons"] = message["quick_replies"]
        for key in MESSAGE_KEYS:
            if message.get(key):
                out[key] = message[key]
        if len(out) > 1:
            await self._persist_message(out)


class CardRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "card"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint("card_webhook", module.__name__ if module else None)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json or {}
            sender = body.get("sender")
            text = body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "sender and message (strings) are required"}, status=400)
            metadata: dict[str, Any] | None = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            # the front's id for the turn goes into the tracker: after a timeout the front finds the turn by it
            # instead of sending it again (bot/web/rasa_client.py)
            message_id = body.get("message_id") if isinstance(body.get("message_id"), str) else None
            collector = CardCollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel="card", metadata=metadata,
                                                 message_id=message_id))
            except asyncio.CancelledError:
                logger.error("card.message.timeout", sender=sender)
            except Exception:  # the front turns an empty answer into an apology
                logger.exception("card.message.failure", sender=sender)
            return response.json(collector.messages)

        return webhook
