"""The one knowledge-base provider every process uses: the action server, agent-assist and registrations.

A process loads the knowledge base once (from the database the loader filled, or from the data files when its
source is ``files`` or the database is empty) and builds its searcher once; every ``refresh_seconds`` it
compares the database's fingerprint with its own and reloads only when the data changed. Loading is guarded by a
lock, so concurrent first requests load it once.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from knowledge.kb import KnowledgeBase

logger = logging.getLogger(__name__)


@dataclass
class _State:
    kb: KnowledgeBase | None = None
    searcher: object | None = None
    checked: float = 0.0


class KnowledgeProvider:
    def __init__(self, source: str = "db", refresh_seconds: float = 60.0, ranking: str = "hybrid",
                 database_url: str | None = None):
        self.source = source  # db | files
        self.ranking = ranking  # hybrid | lexical | bm25 (make eval measures each)
        self.refresh_seconds = float(refresh_seconds)
        self.database_url = database_url
        self._lock = threading.Lock()
        self._state = _State()

    def _load(self) -> KnowledgeBase:
        if self.source == "files":
            return KnowledgeBase.from_files()
        from knowledge.db import from_db, make_engine

        try:
            return from_db(make_engine(self.database_url))
        except Exception as e:  # an empty database must not take the assistant down: the files are the same data
            logger.warning("knowledge database unavailable (%s); reading the data files", e)
            return KnowledgeBase.from_files()

    def _fingerprint_in_db(self) -> str | None:
        if self.source == "files":
            return None
        from knowledge.db import loaded_fingerprint, make_engine

        try:
            return loaded_fingerprint(make_engine(self.database_url))
        except Exception:
            return None

    def kb(self) -> KnowledgeBase:
        now = time.monotonic()
        with self._lock:
            state = self._state
            if state.kb is None or now - state.checked > self.refresh_seconds:
                state.checked = now
                if state.kb is None or self._fingerprint_in_db() not in (None, state.kb.fingerprint):
                    kb = self._load()
                    self._state = _State(kb=kb, searcher=None, checked=now)
                    logger.info("knowledge base %s loaded: %d records", kb.fingerprint, len(kb.records))
            return self._state.kb

    def searcher(self):
        """The searcher over the current knowledge base (built once per loaded knowledge base)."""
        kb = self.kb()
        with self._lock:
            if self._state.searcher is None or self._state.kb is not kb:
                from knowledge.search import Searcher

                self._state.searcher = Searcher(kb, variant=self.ranking)
            return self._state.searcher


_default: KnowledgeProvider | None = None
_default_lock = threading.Lock()


def install(p: KnowledgeProvider) -> KnowledgeProvider:
    """Make ``p`` the process-wide provider (the process's entry point builds it from its Settings)."""
    global _default
    with _default_lock:
        _default = p
    return p


def provider() -> KnowledgeProvider:
    """The process-wide provider; a process that installed none reads the data files with the defaults."""
    global _default
    with _default_lock:
        if _default is None:
            _default = KnowledgeProvider()
        return _default
