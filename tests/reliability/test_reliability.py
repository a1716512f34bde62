"""No turn lost, duplicated or reordered — under load, with a replica killed, with PostgreSQL restarted,
with the action server stopped. Runs against the PostgreSQL and Redis on the machine; the same scenarios run
on containers in tests/containers."""
import json
import signal
import subprocess
import urllib.request
from functools import partial

import pytest

from tests.reliability.conftest import user_texts
from tests.reliability.scenarios import postgres_restarted_under_load, replica_killed_halfway

pytestmark = [pytest.mark.production, pytest.mark.reliability]


def test_fifty_conversations_forty_turns_with_a_replica_killed_halfway(production_stack):
    stack = production_stack
    replica_killed_halfway(stack.url, lambda: stack.stop_process("rasa1", signal.SIGKILL),
                           partial(user_texts, stack.pg_database))


def test_postgresql_restart_during_load_loses_nothing(production_stack):
    stack = production_stack

    def restart_postgres():
        subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True, capture_output=True)

    postgres_restarted_under_load(stack.url, restart_postgres, partial(user_texts, stack.pg_database))


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
