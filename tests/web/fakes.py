"""One in-memory stand-in for RasaClient, shared by the web-front tests.

Trackers are kept per sender (user and bot events, pause/resume honoured, a "handoff" card pauses); every call
is recorded. Knobs: ``answer(sender, text)`` for the bot's messages, ``delay`` seconds per turn, ``fail`` (send
raises), ``down`` (every call raises), ``fail_appends`` (the next n appends raise).
"""
from __future__ import annotations

import asyncio
import time

from bot.web.rasa_client import RasaUnavailable


def ok_answer(sender: str, text: str) -> list[dict]:
    return [{"recipient_id": sender, "text": "ok"}]


class FakeRasa:
    def __init__(self, answer=ok_answer, delay: float = 0.0, fail: bool = False, fail_appends: int = 0):
        self.answer = answer
        self.delay = delay
        self.fail = fail
        self.down = False
        self.fail_appends = fail_appends
        self.trackers: dict[str, dict] = {}
        self.sent: list[tuple[str, str, dict | None]] = []
        self.appended: list[tuple[str, list[dict]]] = []
        self.tracker_calls: list[str] = []

    def _t(self, sender: str) -> dict:
        return self.trackers.setdefault(sender, {"sender_id": sender, "events": [], "paused": False})

    def _check(self) -> None:
        if self.down:
            raise RasaUnavailable("down")

    async def send(self, sender, text, metadata=None, message_id=None):
        self._check()
        self.sent.append((sender, text, metadata))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise RasaUnavailable("down")
        t = self._t(sender)
        t["events"].append({"event": "user", "text": text, "timestamp": time.time(), "metadata": metadata or {}})
        if t["paused"]:
            return []
        messages = self.answer(sender, text)
        for m in messages:
            t["events"].append({"event": "bot", "text": m.get("text"), "timestamp": time.time(), "metadata": {},
                                "data": {"buttons": m.get("buttons"), "custom": m.get("custom")}})
        if messages and (messages[0].get("custom") or {}).get("topic") == "handoff":
            t["paused"] = True
        return messages

    async def tracker(self, sender):
        self._check()
        self.tracker_calls.append(sender)
        t = self._t(sender)
        return {"sender_id": sender, "events": [dict(e) for e in t["events"]], "paused": t["paused"]}

    async def append_events(self, sender, events):
        self._check()
        if self.fail_appends:
            self.fail_appends -= 1
            raise RasaUnavailable("down")
        self.appended.append((sender, events))
        t = self._t(sender)
        for e in events:
            t["paused"] = {"pause": True, "resume": False}.get(e["event"], t["paused"])
            t["events"].append(dict(e))
        return {}

    async def healthy(self):
        return {"fake": not self.down}

    async def close(self):
        return None
