"""Input an attacker or a careless client sends to the public doors: refused with a clear 4xx, never a 500, and
never split into a second conversation."""
from __future__ import annotations

import json

import pytest

from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import Conversation, TurnLog
from tests.web.fakes import FakeRasa

NESTED = b'{"sender": "deep", "message": ' + b"[" * 2000 + b"]" * 2000 + b"}"


@pytest.fixture
def rasa():
    return FakeRasa()


@pytest.fixture
async def client(aiohttp_client, tmp_path, rasa):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key="k", rate_limit_per_minute=1000)
    return await aiohttp_client(create_app(settings, rasa=rasa))


@pytest.mark.parametrize("sender", ["visitor-1\n", "visitor-1\r\n", "\nvisitor-1", "visitor\n-1"])
async def test_a_sender_with_a_newline_is_refused_not_a_second_conversation(client, rasa, sender):
    resp = await client.post("/api/messages", json={"sender": sender, "message": "你好"})
    assert resp.status == 400 and "sender" in (await resp.json())["error"]
    assert rasa.sent == []
    assert await client.app["db"].run(lambda s: s.query(Conversation).count()) == 0


@pytest.mark.parametrize("body", [NESTED, b"[" * 2000 + b"]" * 2000, b'{"a":' * 500 + b"[" * 1000 + b"]" * 1000 + b"}" * 500],
                         ids=["in the message", "the whole body", "objects and arrays"])
async def test_deeply_nested_json_is_400_not_500(client, rasa, body):
    assert len(body) <= 8 * 1024
    resp = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert (await resp.json())["error"] == "请求体的 JSON 嵌套过深"
    assert rasa.sent == []
    assert await client.app["db"].run(lambda s: s.query(TurnLog).count()) == 0


async def test_a_well_formed_sender_still_works(client, rasa):
    resp = await client.post("/api/messages", json={"sender": "visitor-1", "message": "你好"})
    assert resp.status == 200 and json.loads(await resp.text())
