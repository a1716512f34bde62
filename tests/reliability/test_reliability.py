"""No turn lost, duplicated or reordered — under load, with a replica killed, with PostgreSQL restarted,
with the action server stopped. Runs against the PostgreSQL and Redis on the machine."""
import asyncio
import json
import signal
import subprocess
import urllib.request

import pytest

from tests.load import run_load, script
from tests.reliability.conftest import user_texts

pytestmark = [pytest.mark.production, pytest.mark.reliability]


def assert_every_acknowledged_turn_stored_once_in_order(stack, result, conversations, turns, prefix):
    for c in range(conversations):
        sender = f"{prefix}-{c}"
        sent = [t.text for t in sorted((t for t in result.turns if t.sender == sender), key=lambda t: t.index)
                if t.status == 200]
        assert user_texts(stack.pg_database, sender) == sent, sender
        assert sent == script(c, turns), f"{sender}: not every turn was acknowledged"


def test_fifty_conversations_forty_turns_with_a_replica_killed_halfway(production_stack):
    stack, conversations, turns = production_stack, 50, 40
    killed = asyncio.Event()

    async def kill_halfway(done, total):
        if done >= total // 2 and not killed.is_set():
            killed.set()
            await asyncio.get_running_loop().run_in_executor(None, stack.stop_process, "rasa1", signal.SIGKILL)

    result = asyncio.run(run_load(stack.url, conversations, turns, prefix="rel", on_progress=kill_halfway))
    assert killed.is_set()
    assert [t for t in result.turns if t.status != 200] == []
    assert all(t.answered for t in result.turns)
    assert_every_acknowledged_turn_stored_once_in_order(stack, result, conversations, turns, "rel")


def test_postgresql_restart_during_load_loses_nothing(production_stack):
    stack, conversations, turns = production_stack, 20, 12
    restarted = asyncio.Event()

    def restart_postgres():
        subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True,
                       capture_output=True)

    async def restart_a_third_in(done, total):
        if done >= total // 3 and not restarted.is_set():
            restarted.set()
            await asyncio.get_running_loop().run_in_executor(None, restart_postgres)

    result = asyncio.run(run_load(stack.url, conversations, turns, prefix="pg", on_progress=restart_a_third_in))
    assert restarted.is_set()
    assert [t for t in result.turns if t.status != 200] == []
    assert_every_acknowledged_turn_stored_once_in_order(stack, result, conversations, turns, "pg")


def ask(stack, sender, text):
    req = urllib.request.Request(f"{stack.url}/api/messages", method="POST",
                                 data=json.dumps({"sender": sender, "message": text}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status, json.load(r)


def test_action_server_down_gives_an_apology_and_recovers(production_stack):
    stack = production_stack
    for name in ("actions", "actions1"):
        stack.stop_process(name)
    status, messages = ask(stack, "act-down", "卖过期食品会被罚多少钱？")
    assert status == 200 and messages
    assert messages[0]["custom"]["data"]["error"] == "empty_answer"
    assert "抱歉" in messages[0]["text"]
    for name in ("actions", "actions1"):
        stack.restart(name)
    status, messages = ask(stack, "act-down", "卖过期食品会被罚多少钱？")
    assert status == 200
    assert any("market.food.expired_food" in (m.get("custom") or {}).get("kb_ids", []) for m in messages)
