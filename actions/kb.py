"""The action server's view of the knowledge base: loaded once, refreshed when the database changes."""
from __future__ import annotations

import logging
import threading
import time

from hegui.settings import Settings
from knowledge.kb import KnowledgeBase
from knowledge.search import Searcher

logger = logging.getLogger(__name__)
SETTINGS = Settings()  # HEGUI_KB_SOURCE, KB_REFRESH_SECONDS, DATABASE_URL
REFRESH_SECONDS = SETTINGS.kb_refresh_seconds

_lock = threading.Lock()
_state: dict = {"kb": None, "searcher": None, "checked": 0.0}


def _load() -> KnowledgeBase:
    if SETTINGS.kb_source == "files":
        return KnowledgeBase.from_files()
    from knowledge.db import from_db, make_engine

    try:
        return from_db(make_engine(SETTINGS.knowledge_database_url or None))
    except Exception as e:  # an empty database must not take the assistant down: the files are the same data
        logger.warning("knowledge database unavailable (%s); reading the data files", e)
        return KnowledgeBase.from_files()


def _fingerprint_in_db() -> str | None:
    if SETTINGS.kb_source == "files":
        return None
    from knowledge.db import loaded_fingerprint, make_engine

    try:
        return loaded_fingerprint(make_engine(SETTINGS.knowledge_database_url or None))
    except Exception:
        return None


def get_kb() -> KnowledgeBase:
    now = time.monotonic()
    with _lock:
        kb = _state["kb"]
        if kb is None or now - _state["checked"] > REFRESH_SECONDS:
            _state["checked"] = now
            if kb is None or (_fingerprint_in_db() not in (None, kb.fingerprint)):
                kb = _load()
                _state["kb"], _state["searcher"] = kb, Searcher(kb)
                logger.info("knowledge base %s loaded: %d records", kb.fingerprint, len(kb.records))
        return _state["kb"]


def get_searcher() -> Searcher:
    get_kb()
    return _state["searcher"]
