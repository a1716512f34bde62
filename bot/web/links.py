"""Signed links that open the widget in a given conversation ("扫码直达").

A token names a sender id and an expiry, signed with HMAC-SHA256 under the front's ``secret_key``:

    token = sign_sender(settings.secret_key, "reg-42", ttl=7 * 24 * 3600)
    url = f"{settings.public_url}/?t={token}"          # GET /?t=... binds the visitor's session to reg-42
    verify_sender_token(settings.secret_key, token)     # -> "reg-42", or None when tampered, expired or malformed

The token is URL-safe (base64url without padding, one dot).  Anyone holding a valid link can read and continue
that conversation until it expires, so give links a TTL that fits their use (a registration QR code: days, not
years).  With ``WEB_SECRET_KEY`` unset the key is per process and links stop working when the front restarts.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time

from bot.web.validation import SENDER_RE

# domain separation: the same secret also derives the session cookie's key
_CONTEXT = b"hegui/sender-link/v1\x00"
MAX_TOKEN_LENGTH = 512


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> bytes:
    if not secret:
        raise ValueError("a non-empty secret is required to sign or verify links")
    return hmac.new(secret.encode("utf-8"), _CONTEXT + payload.encode("ascii"), hashlib.sha256).digest()


def sign_sender(secret: str, sender: str, ttl: float, *, now: float | None = None) -> str:
    """A token for ``sender`` that verifies for ``ttl`` seconds (an int, float or ``timedelta``)."""
    if hasattr(ttl, "total_seconds"):
        ttl = ttl.total_seconds()
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        raise ValueError("sender must be 1–128 letters, digits or _.:@- characters")
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    expires = int((time.time() if now is None else now) + ttl)
    payload = _b64(json.dumps({"s": sender, "e": expires}, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_b64(_mac(secret, payload))}"


def verify_sender_token(secret: str, token: str, *, now: float | None = None) -> str | None:
    """The sender id a token names, or None when it is malformed, tampered with or expired."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    try:
        given = _unb64(signature)
        if not hmac.compare_digest(given, _mac(secret, payload)):
            return None
        body = json.loads(_unb64(payload).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    sender, expires = body.get("s"), body.get("e")
    if not isinstance(sender, str) or not SENDER_RE.match(sender) or not isinstance(expires, int):
        return None
    if (time.time() if now is None else now) >= expires:
        return None
    return sender
