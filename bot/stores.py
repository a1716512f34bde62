"""A tracker store that waits out a database restart instead of losing turns.

Rasa wraps every tracker store in FailSafeTrackerStore: when the database is unreachable it *silently* falls back
to an in-memory store (a retrieve returns an empty conversation, a save goes to memory), so the user is answered
and the turn is never stored.  This store retries retrieve and save on connection errors, with pool pre-ping so a
restarted PostgreSQL is noticed at checkout, for up to TRACKER_STORE_RETRY_SECONDS — longer than a restart takes,
shorter than the web front's timeout, which then retries the turn itself.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs

from hegui.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError)


class DurableSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.retry_seconds = Settings().tracker_store_retry_seconds

    async def _retrying(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.2
        while True:
            try:
                return await call()
            except TRANSIENT as e:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning("tracker store %s failed (%s); retrying in %.1fs", what, type(e).__name__, delay)
                self.engine.dispose()  # drop every pooled connection to the old server
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def retrieve(self, sender_id):
        return await self._retrying("retrieve", lambda: SQLTrackerStore.retrieve(self, sender_id))

    async def retrieve_full_tracker(self, conversation_id):
        return await self._retrying("retrieve", lambda: SQLTrackerStore.retrieve_full_tracker(self, conversation_id))

    async def save(self, tracker) -> None:
        return await self._retrying("save", lambda: SQLTrackerStore.save(self, tracker))

    async def keys(self):
        return await self._retrying("keys", lambda: SQLTrackerStore.keys(self))
