"""Seen (timestamp, nonce) pairs of signed WeChat requests: a captured request cannot be posted again.

WeChat itself retries a message it got no answer to with the very same URL and body, so a pair seen again with
the same body is a retry (the MsgId de-duplication answers it without a second turn); the same pair with another
body is a replay and refused.  Pairs are kept twice as long as the timestamp window, after which the window
refuses the request anyway.  With ``WEB_REDIS_URL`` every web replica shares them (SET NX EX); without it, or
while Redis is unreachable, each process keeps its own, bounded.
"""
from __future__ import annotations

import time
from collections import OrderedDict

import structlog

logger = structlog.get_logger()
PREFIX = "hegui:wechat:nonce:"


class NonceStore:
    def __init__(self, ttl: float, redis_url: str = "", maxsize: int = 200_000):
        self.ttl = ttl
        self.maxsize = maxsize
        self._seen: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._redis = None
        if redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)

    async def claim(self, key: str, fingerprint: str) -> bool:
        """True the first time ``key`` is seen, or again with the same ``fingerprint``; False for a replay."""
        if self._redis is not None:
            try:
                if await self._redis.set(PREFIX + key, fingerprint, nx=True, ex=int(self.ttl)):
                    return True
                seen = await self._redis.get(PREFIX + key)
                return seen is not None and seen.decode() == fingerprint
            except Exception as e:  # Redis down: still refuse replays this process has seen
                logger.warning("wechat.nonce_store_unavailable", error=type(e).__name__)
        return self._claim_here(key, fingerprint)

    def _claim_here(self, key: str, fingerprint: str) -> bool:
        now = time.monotonic()
        while self._seen and (next(iter(self._seen.values()))[1] <= now or len(self._seen) >= self.maxsize):
            self._seen.popitem(last=False)
        seen = self._seen.get(key)
        if seen is not None:
            return seen[0] == fingerprint
        self._seen[key] = (fingerprint, now + self.ttl)
        return True

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()
