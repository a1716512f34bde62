"""Per-key token bucket: a runaway client (or a script) cannot flood one conversation."""
from __future__ import annotations

import time


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None):
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(5, per_minute // 3))
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds to wait)."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return True, 0.0
        self._buckets[key] = (tokens, now)
        return False, (1 - tokens) / self.rate if self.rate else 60.0

    def prune(self, older_than: float = 600) -> None:
        cutoff = time.monotonic() - older_than
        self._buckets = {k: v for k, v in self._buckets.items() if v[1] >= cutoff}
