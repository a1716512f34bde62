"""Fixtures of the browser tests: a fresh stack (fake Rasa + the real front) per test, one Chromium per module."""
from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, Stack


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
