"""One user turn through Rasa, with the guarantees users need: an answer or a clear apology, never silence."""
from __future__ import annotations

import structlog

from bot.web.rasa_client import RasaClient, RasaUnavailable

logger = structlog.get_logger()

APOLOGY = "抱歉，系统暂时没能回答这个问题。请稍后再试，或发送“转人工”由工作人员帮您。"
HANDOFF_WAITING = "消息已转给人工客服，工作人员会在这里回复您，请稍候。"
UNAVAILABLE = "合规通暂时无法连接，请稍后再试；紧急问题可拨打12345政务服务便民热线。"


def system_message(sender: str, text: str, topic: str, **data) -> dict:
    return {"recipient_id": sender, "text": text,
            "custom": {"topic": topic, "kb_ids": [], "citations": [], "data": {"system": True, **data}}}


async def handle_turn(rasa: RasaClient, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
    """Send one message; raise RasaUnavailable when no replica answers."""
    messages = await rasa.send(sender, text, metadata)
    if messages:
        return messages
    # Rasa answers nothing when the conversation is paused for a human, or when a custom action failed
    try:
        paused = bool((await rasa.tracker(sender)).get("paused"))
    except RasaUnavailable:
        paused = False
    if paused:
        return [system_message(sender, HANDOFF_WAITING, "handoff", waiting=True)]
    logger.warning("turn.empty_answer", sender=sender)
    return [system_message(sender, APOLOGY, "smalltalk", error="empty_answer")]
