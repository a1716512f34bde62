"""Runtime settings of the web front, from the environment (documented in README)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _list(name: str, default: str) -> list[str]:
    return [u.strip().rstrip("/") for u in os.environ.get(name, default).split(",") if u.strip()]


@dataclass
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("WEB_HOST", "0.0.0.0"))
    port: int = field(default_factory=lambda: int(os.environ.get("WEB_PORT", "8080")))
    public_url: str = field(default_factory=lambda: os.environ.get("PUBLIC_URL", ""))
    rasa_urls: list[str] = field(default_factory=lambda: _list("RASA_URLS", "http://127.0.0.1:5005"))
    rasa_token: str = field(default_factory=lambda: os.environ.get("RASA_TOKEN", ""))
    rasa_timeout: float = field(default_factory=lambda: float(os.environ.get("RASA_TIMEOUT", "30")))
    database_url: str = field(default_factory=lambda: os.environ.get("WEB_DATABASE_URL") or os.environ.get(
        "DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'web.db'}")
    tracker_db_url: str = field(default_factory=lambda: os.environ.get("TRACKER_DB_URL") or
                                f"sqlite:///{os.environ.get('TRACKER_SQLITE_PATH', str(ROOT / 'var' / 'tracker.db'))}")
    secret_key: str = field(default_factory=lambda: os.environ.get("WEB_SECRET_KEY", ""))
    max_text_bytes: int = field(default_factory=lambda: int(os.environ.get("MAX_TEXT_BYTES", "4096")))
    rate_limit_per_minute: int = field(default_factory=lambda: int(os.environ.get("RATE_LIMIT_PER_MINUTE", "30")))
    registration_secret: str = field(default_factory=lambda: os.environ.get("REGISTRATION_HMAC_SECRET", ""))
    wechat_token: str = field(default_factory=lambda: os.environ.get("WECHAT_TOKEN", ""))
    wechat_aes_key: str = field(default_factory=lambda: os.environ.get("WECHAT_AES_KEY", ""))
    wechat_app_id: str = field(default_factory=lambda: os.environ.get("WECHAT_APP_ID", ""))
    wechat_secret: str = field(default_factory=lambda: os.environ.get("WECHAT_APP_SECRET", ""))
    retention_days: int = field(default_factory=lambda: int(os.environ.get("RETENTION_DAYS", "365")))

    def __post_init__(self) -> None:
        if not self.secret_key:
            # a per-process key: sessions do not survive a restart, which is the safe default for one machine
            self.secret_key = secrets.token_urlsafe(32)
        if not self.public_url:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
            self.public_url = f"http://{host}:{self.port}"
