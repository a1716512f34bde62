"""The production topology in real containers (docker-compose.yml with podman): every role healthy and not root,
answers through the published port, and the reliability checks of tests/reliability — a Rasa replica container
killed under load, the PostgreSQL container restarted under load — with nothing lost.

Figures of the short load (turns/s, p50/p95) and the peak memory per container go to results/containers.json.
"""
import asyncio
import json
from functools import partial
from pathlib import Path

import aiohttp
import pytest

from tests.containers.topology import MemorySampler
from tests.load import run_load
from tests.reliability.scenarios import postgres_restarted_under_load, replica_killed_halfway, stored_user_texts

pytestmark = pytest.mark.containers
RESULTS = Path(__file__).resolve().parents[2] / "results" / "containers.json"
FIGURES: dict = {}


def record(**figures) -> None:
    FIGURES.update(figures)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(FIGURES, ensure_ascii=False, indent=2))
    print(json.dumps(figures, ensure_ascii=False))


def test_every_role_runs_healthy_as_a_non_root_user(whole_topology):
    t = whole_topology
    assert set(t.services) >= {"postgres", "redis", "actions1", "actions2", "rasa1", "rasa2", "web", "retention"}
    for service in t.services:
        assert t.healthy(service), service
        uid = t.exec(service, "id", "-u")
        assert uid.returncode == 0 and uid.stdout.strip() not in ("", "0"), (service, uid.stdout, uid.stderr)


async def ask(url: str, sender: str, text: str) -> tuple[int, list]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        async with session.post(f"{url}/api/messages", json={"sender": sender, "message": text}) as r:
            return r.status, await r.json(content_type=None)


def test_a_question_through_the_published_port_gets_a_cited_answer(whole_topology):
    status, messages = asyncio.run(ask(whole_topology.url, "ct-ask", "卖过期食品会被罚多少钱？"))
    assert status == 200
    cards = [m for m in messages if "market.food.expired_food" in (m.get("custom") or {}).get("kb_ids", [])]
    assert cards, messages
    assert cards[0]["custom"]["citations"], cards[0]


def test_a_short_load_through_the_published_port(whole_topology):
    """The figures README quotes for containers: 10 conversations of 20 turns, every turn answered."""
    with MemorySampler(whole_topology) as memory:
        result = asyncio.run(run_load(whole_topology.url, 10, 20, prefix="ct-load"))
    assert [t for t in result.turns if t.status != 200 or not t.answered] == []
    s = result.summary()
    record(load_10x20={"turns_per_s": round(s["turns_per_s"], 1), "p50_ms": round(s["p50_ms"]),
                       "p95_ms": round(s["p95_ms"]), "p99_ms": round(s["p99_ms"])},
           peak_memory_mb_load_10x20={k: round(v) for k, v in sorted(memory.peak_mb.items())})


def test_fifty_conversations_forty_turns_with_a_replica_container_killed_halfway(whole_topology):
    t = whole_topology
    with MemorySampler(t) as memory:
        result = replica_killed_halfway(t.url, partial(t.kill, "rasa1"), partial(stored_user_texts, t.dsn),
                                        prefix="ct-rel")
    assert t.state("rasa1")["Status"] != "running"
    s = result.summary()
    record(reliability_50x40_replica_killed={"turns_per_s": round(s["turns_per_s"], 1), "p50_ms": round(s["p50_ms"]),
                                              "p95_ms": round(s["p95_ms"])},
           peak_memory_mb_50x40={k: round(v) for k, v in sorted(memory.peak_mb.items())})


def test_postgresql_container_restarted_under_load_loses_nothing(whole_topology):
    t = whole_topology
    started = t.state("postgres")["StartedAt"]
    postgres_restarted_under_load(t.url, partial(t.restart, "postgres"), partial(stored_user_texts, t.dsn),
                                  prefix="ct-pg")
    assert t.state("postgres")["StartedAt"] != started, "PostgreSQL was not restarted"


def test_the_retention_service_has_run_on_its_schedule(whole_topology):
    t = whole_topology
    assert t.exec("retention", "test", "-f", "/tmp/retention.ok").returncode == 0, t.logs("retention")
    assert "保存期限截止" in t.logs("retention")
