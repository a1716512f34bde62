"""One typed Settings for every environment variable 合规通's processes read (README "Production topology").

The web front, the action server and the tracker store (run inside Rasa) all import this module; ``knowledge/``
does not (it knows nothing of how it is deployed: its own CLI reads ``DATABASE_URL`` and callers pass URLs in).
A variable is read here and nowhere else, with its type and default, so a typo in a deployment fails at start with
a clear message instead of silently meaning the default.  ``tests/test_settings.py`` keeps README's table, this
class and the variables Rasa reads through ``bot/endpoints*.yml`` the same set.

Values passed to ``Settings(...)`` take precedence over the environment (the tests use that).
"""
from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseSettings, Field, root_validator, validator

ROOT = Path(__file__).resolve().parents[1]
LIST_FIELDS = {"rasa_urls", "trusted_proxies"}  # comma-separated in the environment
# read by Rasa itself rather than by our code: through ${...} in bot/endpoints*.yml, and this one by its lock store
READ_BY_RASA = {"TICKET_LOCK_LIFETIME"}


class Settings(BaseSettings):
    # ---------------------------------------------------------------- web front: the public door
    host: str = Field("0.0.0.0", env="WEB_HOST")
    port: int = Field(8080, env="WEB_PORT", ge=1, le=65535)
    public_url: str = Field("", env="PUBLIC_URL")
    secret_key: str = Field("", env="WEB_SECRET_KEY")
    session_cookie_secure: bool | None = Field(None, env="SESSION_COOKIE_SECURE")
    trusted_proxies: list[str] = Field(default_factory=list, env="TRUSTED_PROXIES")
    max_text_bytes: int = Field(4096, env="MAX_TEXT_BYTES", ge=64)
    rate_limit_per_minute: int = Field(30, env="RATE_LIMIT_PER_MINUTE", ge=1)
    rate_limit_per_address_per_minute: int | None = Field(None, env="RATE_LIMIT_PER_ADDRESS_PER_MINUTE", ge=1)
    web_redis_url: str = Field("", env="WEB_REDIS_URL")
    handoff_minutes_per_conversation: float = Field(3.0, env="HANDOFF_MINUTES_PER_CONVERSATION", gt=0)
    # ---------------------------------------------------------------- web front: Rasa and the databases
    rasa_urls: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:5005"], env="RASA_URLS")
    rasa_token: str = Field("", env="RASA_TOKEN")
    rasa_timeout: float = Field(30.0, env="RASA_TIMEOUT", gt=0)
    database_url: str = Field("", env=["WEB_DATABASE_URL", "DATABASE_URL"])
    tracker_db_url: str = Field("", env="TRACKER_DB_URL")
    tracker_sqlite_path: str = Field(str(ROOT / "var" / "tracker.db"), env="TRACKER_SQLITE_PATH")
    retention_days: int = Field(365, env="RETENTION_DAYS", ge=1)
    # ---------------------------------------------------------------- doors
    registration_secret: str = Field("", env="REGISTRATION_HMAC_SECRET")
    registration_link_ttl_days: int = Field(30, env="REGISTRATION_LINK_TTL_DAYS", ge=1)
    registration_qr_require_signature: bool = Field(True, env="REGISTRATION_QR_REQUIRE_SIGNATURE")
    wechat_token: str = Field("", env="WECHAT_TOKEN")
    wechat_aes_key: str = Field("", env="WECHAT_AES_KEY")
    wechat_app_id: str = Field("", env="WECHAT_APP_ID")
    wechat_secret: str = Field("", env="WECHAT_APP_SECRET")
    wechat_reply_timeout: float = Field(4.0, env="WECHAT_REPLY_TIMEOUT", gt=0, lt=5)
    # ---------------------------------------------------------------- action server and tracker store
    knowledge_database_url: str = Field("", env="DATABASE_URL")  # "": knowledge's own default (var/knowledge.db)
    kb_source: Literal["db", "files"] = Field("db", env="HEGUI_KB_SOURCE")
    kb_refresh_seconds: float = Field(60.0, env="KB_REFRESH_SECONDS", ge=0)
    ranking: Literal["hybrid", "lexical", "bm25"] = Field("hybrid", env="HEGUI_RANKING")  # make eval compares them
    cache_dir: str = Field("", env="HEGUI_CACHE_DIR")  # "": var/cache (record vectors, one file per knowledge base)
    tracker_store_retry_seconds: float = Field(20.0, env="TRACKER_STORE_RETRY_SECONDS", ge=0)

    class Config:
        case_sensitive = True
        extra = "forbid"

        @classmethod
        def parse_env_var(cls, field_name: str, raw_val: str) -> Any:
            if field_name in LIST_FIELDS:
                return [part.strip() for part in raw_val.split(",") if part.strip()]
            return cls.json_loads(raw_val)

    @validator("rasa_urls", each_item=True)
    def _url_without_slash(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @validator("trusted_proxies", each_item=True)
    def _network(cls, value: str) -> str:
        try:
            return str(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {value!r} is not an IP address or network") from None

    @root_validator(skip_on_failure=True)
    def _derived(cls, values: dict) -> dict:
        if not values["rasa_urls"]:
            raise ValueError("RASA_URLS: at least one Rasa URL is required")
        if not values["secret_key"]:
            # a per-process key: sessions do not survive a restart, which is the safe default for one machine
            values["secret_key"] = secrets.token_urlsafe(32)
        if not values["public_url"]:
            host = "127.0.0.1" if values["host"] in ("0.0.0.0", "") else values["host"]
            values["public_url"] = f"http://{host}:{values['port']}"
        values["public_url"] = values["public_url"].rstrip("/")
        if not values["database_url"]:
            values["database_url"] = f"sqlite:///{ROOT / 'var' / 'web.db'}"
        if not values["tracker_db_url"]:
            values["tracker_db_url"] = f"sqlite:///{values['tracker_sqlite_path']}"
        if values["rate_limit_per_address_per_minute"] is None:
            # one address may carry a whole company's conversations: twenty senders' worth, never below 600
            values["rate_limit_per_address_per_minute"] = max(600, 20 * values["rate_limit_per_minute"])
        if values["session_cookie_secure"] is None:
            values["session_cookie_secure"] = values["public_url"].startswith("https://")
        return values

    @classmethod
    def environment_variables(cls) -> set[str]:
        """Every variable this class reads."""
        names: set[str] = set()
        for f in cls.__fields__.values():
            names |= set(f.field_info.extra["env_names"])
        return names
