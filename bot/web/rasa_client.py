"""Talking to the Rasa replicas: one sender always goes to the same replica (rendezvous hashing), so its
turns are processed in order by one process; only the senders of a replica that stops answering move.

RedisLockStore alone does not make two replicas safe for one conversation (upstream rasa#9213), hence the
sticky routing here, with the lock store as the second guard.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog

logger = structlog.get_logger()
RETRY_DEAD_AFTER = 10.0  # seconds a failed replica is skipped before it is tried again
# pauses between rounds over all replicas: long enough for PostgreSQL to come back after a restart
RETRY_PAUSES = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
TIMEOUT_GRACE = 3.0  # seconds to look for a timed-out turn in the tracker before sending it again


class RasaUnavailable(Exception):
    pass


class TurnFailed(Exception):
    """A replica answered 5xx: it is alive, but the turn was not processed."""


@dataclass
class Replica:
    url: str
    dead_until: float = 0.0

    @property
    def alive(self) -> bool:
        return time.monotonic() >= self.dead_until


def _weight(sender: str, url: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{url}|{sender}".encode(), digest_size=8).digest(), "big")


class RasaClient:
    def __init__(self, urls: list[str], token: str = "", timeout: float = 30.0):
        if not urls:
            raise ValueError("at least one Rasa URL is required")
        self.replicas = [Replica(u) for u in urls]
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session and not self._session.closed:
            await self._session.close()

    def order(self, sender: str) -> list[Replica]:
        """Replicas for ``sender``, preferred first; live ones before ones marked dead."""
        ranked = sorted(self.replicas, key=lambda r: _weight(sender, r.url), reverse=True)
        return [r for r in ranked if r.alive] + [r for r in ranked if not r.alive]

    def _params(self) -> dict:
        return {"token": self.token} if self.token else {}

    async def send(self, sender: str, text: str, metadata: dict | None = None,
                   message_id: str | None = None) -> list[dict]:
        """One user turn, exactly once: on a failure the tracker is checked for the turn before it is retried
        (on the next replica, then again after a pause while the shared stores recover)."""
        message_id = message_id or uuid.uuid4().hex
        body = {"sender": sender, "message": text, "metadata": metadata or {}, "message_id": message_id}
        last_error: Exception | None = None
        tried = False
        for pause in RETRY_PAUSES:
            if pause:
                await asyncio.sleep(pause)
            for replica in self.order(sender):
                if tried:
                    answered = await self._answered(sender, message_id)
                    if answered is not None:
                        return answered
                tried = True
                try:
                    s = await self.session()
                    async with s.post(f"{replica.url}/webhooks/card/webhook", json=body) as resp:
                        if resp.status >= 500:
                            raise TurnFailed(f"{replica.url} answered {resp.status}")
                        if resp.status == 400:
                            return []
                        return await resp.json()
                except TurnFailed as e:  # the replica is alive but could not finish the turn (e.g. database)
                    last_error = e
                    logger.warning("rasa.turn.failed", url=replica.url, error=str(e))
                except asyncio.TimeoutError:
                    # Slow, not gone (e.g. waiting for a conversation lock a killed replica held). Rasa's server
                    # cancels a request whose client went away, so the turn was not processed — unless it finished
                    # just as we gave up: look for it in the tracker for a moment before sending it again.
                    logger.warning("rasa.turn.slow", url=replica.url)
                    answered = await self._await_answer(sender, message_id, TIMEOUT_GRACE)
                    if answered is not None:
                        return answered
                    last_error = RasaUnavailable(f"{replica.url} did not answer in time")
                except aiohttp.ClientConnectionError as e:
                    replica.dead_until = time.monotonic() + RETRY_DEAD_AFTER
                    last_error = e
                    logger.warning("rasa.replica.failed", url=replica.url, error=str(e))
        raise RasaUnavailable(str(last_error))

    async def _await_answer(self, sender: str, message_id: str, seconds: float) -> list[dict] | None:
        """Poll the tracker for the turn for up to ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            answered = await self._answered(sender, message_id)
            if answered is not None:
                return answered
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.5)
        return None

    async def _answered(self, sender: str, message_id: str) -> list[dict] | None:
        """The bot's answer to ``message_id`` if a replica processed it before failing, else None."""
        try:
            tracker = await self.tracker(sender)
        except (RasaUnavailable, aiohttp.ClientError):
            return None
        events = tracker.get("events") or []
        for i, e in enumerate(events):
            if e.get("event") == "user" and e.get("message_id") == message_id:
                out = []
                for later in events[i + 1:]:
                    if later.get("event") == "user":
                        break
                    if later.get("event") == "bot":
                        data = later.get("data") or {}
                        msg = {"recipient_id": sender, "text": later.get("text"), "buttons": data.get("buttons"),
                               "custom": data.get("custom"), "image": data.get("image")}
                        out.append({k: v for k, v in msg.items() if v})
                logger.info("rasa.turn.recovered", sender=sender)
                return out
        return None

    async def _api(self, method: str, sender: str, path: str, params: dict | None = None, **kw) -> Any:
        last_error: Exception | None = None
        for replica in self.order(sender):
            try:
                s = await self.session()
                async with s.request(method, f"{replica.url}{path}", params={**self._params(), **(params or {})},
                                     **kw) as resp:
                    if resp.status >= 500:
                        raise RasaUnavailable(f"{replica.url} answered {resp.status}")
                    resp.raise_for_status()
                    return await resp.json()
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError, RasaUnavailable) as e:
                replica.dead_until = time.monotonic() + RETRY_DEAD_AFTER
                last_error = e
        raise RasaUnavailable(str(last_error))

    async def tracker(self, sender: str) -> dict:
        from urllib.parse import quote

        return await self._api("GET", sender, f"/conversations/{quote(sender, safe='')}/tracker",
                               params={"include_events": "ALL"})

    async def append_events(self, sender: str, events: list[dict]) -> dict:
        from urllib.parse import quote

        return await self._api("POST", sender, f"/conversations/{quote(sender, safe='')}/tracker/events",
                               json=events)

    async def healthy(self) -> dict[str, bool]:
        out = {}
        s = await self.session()
        for r in self.replicas:
            try:
                async with s.get(f"{r.url}/", timeout=aiohttp.ClientTimeout(total=3)) as resp:
                    out[r.url] = resp.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                out[r.url] = False
        return out
