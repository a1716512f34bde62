"""The action server's view of the knowledge base: loaded once, refreshed when the database changes."""
from __future__ import annotations

import logging
import os
import threading
import time

from knowledge.kb import KnowledgeBase
from knowledge.search import Searcher

logger = logging.getLogger(__name__)
REFRESH_SECONDS = float(os.environ.get("KB_REFRESH_SECONDS", "60"))

_lock = threading.Lock()
_state: dict = {"kb": None, "searcher": None, "checked": 0.0}


def _load() -> KnowledgeBase:
    source = os.environ.get("HEGUI_KB_SOURCE", "db")
    if source == "files":
        return KnowledgeBase.from_files()
    from knowledge.db import from_db, make_engine

    try:
        return from_db(make_engine())
    except Exception as e:  # an empty database must not take the assistant down: the files are the same data
        logger.warning("knowledge database unavailable (%s); reading the data files", e)
        return KnowledgeBase.from_files()


def _fingerprint_in_db() -> str | None:
    if os.environ.get("HEGUI_KB_SOURCE", "db") == "files":
        return None
    from knowledge.db import loaded_fingerprint, make_engine

    try:
        return loaded_fingerprint(make_engine())
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
