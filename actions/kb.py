"""The action server's view of the knowledge base: the one provider (knowledge/provider.py), set up from Settings."""
from __future__ import annotations

from hegui.settings import Settings
from knowledge.kb import KnowledgeBase
from knowledge.provider import KnowledgeProvider, install
from knowledge.search import Searcher

SETTINGS = Settings()  # HEGUI_KB_SOURCE, KB_REFRESH_SECONDS, HEGUI_RANKING, DATABASE_URL
PROVIDER = install(KnowledgeProvider(source=SETTINGS.kb_source, refresh_seconds=SETTINGS.kb_refresh_seconds,
                                     ranking=SETTINGS.ranking, database_url=SETTINGS.knowledge_database_url or None))


def get_kb() -> KnowledgeBase:
    return PROVIDER.kb()


def get_searcher() -> Searcher:
    return PROVIDER.searcher()
