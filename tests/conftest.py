import os

import pytest

os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("HEGUI_KB_SOURCE", "files")


@pytest.fixture(scope="session")
def kb():
    from knowledge.kb import KnowledgeBase

    return KnowledgeBase.from_files()


@pytest.fixture(scope="session")
def searcher(kb):
    from knowledge.search import Searcher

    return Searcher(kb)
