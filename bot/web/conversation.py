"""One user turn, the same for every door: an answer or a clear apology, never silence — and while a person
handles the conversation, no bot at all (bot/web/handoff.py)."""
from __future__ import annotations

import structlog
from aiohttp import web

from bot.web import handoff
from bot.web.rasa_client import RasaClient, RasaUnavailable

logger = structlog.get_logger()

APOLOGY = "抱歉，系统暂时没能回答这个问题。请稍后再试，或发送“转人工”由工作人员帮您。"
UNAVAILABLE = "合规通暂时无法连接，请稍后再试；紧急问题可拨打12345政务服务便民热线。"
RESTARTED = "对话已重新开始，请直接输入您的问题。"


def system_message(sender: str, text: str, topic: str, **data) -> dict:
    return {"recipient_id": sender, "text": text,
            "custom": {"topic": topic, "kb_ids": [], "citations": [], "data": {"system": True, **data}}}


async def handle_turn(rasa: RasaClient, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
    """Send one message to Rasa; raise RasaUnavailable when no replica answers.

    An empty list means Rasa is paused for a human (the caller queues the conversation)."""
    messages = await rasa.send(sender, text, metadata)
    if messages:
        return messages
    # Rasa answers nothing when the conversation is paused for a human, or when a custom action failed
    try:
        paused = bool((await rasa.tracker(sender)).get("paused"))
    except RasaUnavailable:
        paused = False
    if paused:
        return []
    if handoff.is_restart(text):
        return [system_message(sender, RESTARTED, "smalltalk", restarted=True)]
    logger.warning("turn.empty_answer", sender=sender)
    return [system_message(sender, APOLOGY, "smalltalk", error="empty_answer")]


async def converse(app: web.Application, sender: str, text: str, channel: str, log_text: str | None = None,
                   metadata: dict | None = None) -> list[dict]:
    """The answer to one user message from any door, recorded in the turn log (raises RasaUnavailable)."""
    status = await app["db"].run(lambda s: handoff.status_of(s, sender))
    if status in handoff.ACTIVE:
        messages = await handoff.hold(app, sender, text, channel)
    else:
        messages = await handle_turn(app["rasa"], sender, text, metadata or {"channel": channel})
        if not messages or handoff.requested(messages):  # asked for a person (or Rasa was already paused)
            messages = messages + [await handoff.entered(app, sender, channel)]
    for hook in app.get("turn_hooks", []):
        try:
            await hook(sender, log_text or text, messages, channel)
        except Exception:  # the turn log must not cost the user the answer
            logger.exception("turn.hook_failed", sender=sender)
    return messages
