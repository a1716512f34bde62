"""The action server's view of the knowledge base: the process-wide provider of knowledge/provider.py."""
from __future__ import annotations

from knowledge.kb import KnowledgeBase
from knowledge.provider import provider
from knowledge.search import Searcher


def get_kb() -> KnowledgeBase:
    return provider().kb()


def get_searcher() -> Searcher:
    return provider().searcher()
