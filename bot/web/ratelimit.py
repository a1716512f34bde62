"""Rate limits of the doors, per sender and per client address (the ``limits`` library, fixed windows).

* Per sender (``RATE_LIMIT_PER_MINUTE``): a runaway client or a script cannot flood one conversation; every door.
* Per client address (``RATE_LIMIT_PER_ADDRESS_PER_MINUTE``): a script inventing a new sender id per request
  cannot get past the first limit and create a conversation each time.  Only the unsigned doors (widget, API,
  staff log-in, the QR route) count per address: WeChat's requests all come from WeChat's servers and the
  registration system signs its own.  The default (20 senders' worth, at least 600 a minute) lets a whole
  company behind one address use the widget.
* Memory stays bounded: a counter lives for one window (a minute) and then expires.  With ``WEB_REDIS_URL``
  the counters live in Redis, shared by every web replica; if Redis is unreachable the doors stay open (a
  warning is logged) rather than refusing everyone.
* The client address is the peer's, or with ``TRUSTED_PROXIES`` the nearest untrusted address of
  ``X-Forwarded-For``; IPv6 clients count per /64 (one subscriber's prefix), not per address.
"""
from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass

import structlog
from aiohttp import web
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

logger = structlog.get_logger()
NAMESPACE = "hegui-web"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0  # seconds until the window resets (when refused)

    def response(self, message: str = "发送太频繁，请稍后再试") -> web.Response:
        return web.json_response({"error": message, "retry_after": round(self.retry_after, 1)}, status=429,
                                 headers={"Retry-After": str(max(1, int(self.retry_after + 0.5)))})


class RateLimits:
    def __init__(self, per_sender: RateLimitItem, per_address: RateLimitItem, storage_url: str = ""):
        self.per_sender = per_sender
        self.per_address = per_address
        self.shared = bool(storage_url)
        self.storage: Storage = storage_from_string(storage_url) if storage_url else MemoryStorage()
        self.limiter = FixedWindowRateLimiter(self.storage)

    @classmethod
    def from_settings(cls, settings) -> RateLimits:
        return cls(RateLimitItemPerMinute(settings.rate_limit_per_minute),
                   RateLimitItemPerMinute(settings.rate_limit_per_address_per_minute), settings.web_redis_url)

    async def sender(self, sender: str) -> Verdict:
        return await self._hit(self.per_sender, "sender", sender)

    async def address(self, address: str) -> Verdict:
        return await self._hit(self.per_address, "address", address)

    def tracked_keys(self) -> int:
        """How many counters this process holds (the in-memory storage; 0 when they live in Redis)."""
        return len(self.storage.storage) if isinstance(self.storage, MemoryStorage) else 0

    def _hit_now(self, item: RateLimitItem, kind: str, key: str) -> Verdict:
        if self.limiter.hit(item, NAMESPACE, kind, key):
            return Verdict(True)
        reset, _ = self.limiter.get_window_stats(item, NAMESPACE, kind, key)
        return Verdict(False, max(0.0, reset - time.time()))

    async def _hit(self, item: RateLimitItem, kind: str, key: str) -> Verdict:
        if not self.shared:
            return self._hit_now(item, kind, key)  # a dict update: no need for a thread
        try:
            return await asyncio.get_running_loop().run_in_executor(None, self._hit_now, item, kind, key)
        except Exception as e:  # Redis down: keep the doors open rather than refuse everyone
            logger.warning("ratelimit.storage_unavailable", error=type(e).__name__)
            return Verdict(True)


def trusted_networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(v, strict=False) for v in values]


def _ip(value: str):
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def client_address(request: web.Request) -> str:
    """The address to count a request against (see the module docstring)."""
    trusted = request.app.get("trusted_proxies") or []
    ip = _ip(request.remote or "")
    if ip is None:
        return request.remote or "unknown"
    if trusted and any(ip in n for n in trusted):
        hops = [h for value in request.headers.getall("X-Forwarded-For", []) for h in value.split(",") if h.strip()]
        for hop in reversed(hops):
            hop_ip = _ip(hop)
            if hop_ip is None:
                break  # a malformed entry: trust nothing before it
            ip = hop_ip
            if not any(hop_ip in n for n in trusted):
                break
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
