"""Recording each turn in the front's turn log (the handoff state is bot/web/handoff.py's)."""
from __future__ import annotations

from aiohttp import web

from bot.web.db import Conversation, TurnLog, utcnow


def _unanswered(message: dict) -> bool:
    data = (message.get("custom") or {}).get("data") or {}
    return bool(data.get("fallback") or data.get("error") or data.get("unanswered"))


def make_turn_hook(app: web.Application):
    async def record(sender: str, text: str, messages: list[dict], channel: str = "api") -> None:
        def write(s):
            conv = s.get(Conversation, sender)
            if conv is None:
                # status given here, not left to the column default: it is read before the row is flushed
                conv = Conversation(sender_id=sender, channel=channel, status="bot")
                s.add(conv)
            conv.last_seen_at = utcnow()
            s.add(TurnLog(sender_id=sender, direction="user", text=text,
                          unanswered=any(_unanswered(m) for m in messages)))
            for m in messages:
                c = m.get("custom") or {}
                s.add(TurnLog(sender_id=sender, direction="system" if (c.get("data") or {}).get("system") else "bot",
                              text=m.get("text") or "", topic=c.get("topic"), kb_ids=c.get("kb_ids"),
                              unanswered=_unanswered(m)))

        await app["db"].run(write)

    return record
