"""Containers against processes in the same minutes: `python -m tests.containers.compare` (images built first).

Starts the compose topology (tests/containers/topology.py) and, beside it, the same processes from the worktree
(tests/stack.py: two Rasa replicas, two action servers, the web front, as `make prod`) on the containers' PostgreSQL
and Redis, then sends 10 conversations × 20 turns through each web front, alternating, three times each. On a shared
machine absolute figures move with the neighbours; the ratio of the medians is the figure to read.
Differences besides the containers: the containerised front keeps its tables in PostgreSQL (the processes': SQLite)
and the containerised action servers read the knowledge base from PostgreSQL (the processes': the data files).
"""
import asyncio
import statistics
import time

from tests.containers.topology import ComposeTopology
from tests.load import run_load
from tests.stack import Stack


def main(rounds: int = 3) -> None:
    topology = ComposeTopology(env={"RATE_LIMIT_PER_MINUTE": "100000"})
    stack = None
    try:
        started = time.monotonic()
        topology.up()
        print(f"compose up in {time.monotonic() - started:.0f} s", flush=True)
        env = {"TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": str(topology.ports["postgres"]),
               "TRACKER_DB_NAME": "hegui", "TRACKER_DB_USER": "hegui", "TRACKER_DB_PASSWORD": topology.password,
               "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(topology.ports["redis"]), "REDIS_DB": "1",
               "TICKET_LOCK_LIFETIME": "10"}
        stack = Stack(replicas=2, action_servers=2, endpoints="bot/endpoints.production.yml", env=env,
                      web_env={"TRACKER_DB_URL": topology.dsn}).start()
        runs: dict[str, list[dict]] = {"containers": [], "processes": []}
        for i in range(rounds):
            for name, url in (("containers", topology.url), ("processes", stack.url)):
                s = asyncio.run(run_load(url, 10, 20, prefix=f"cmp-{name}-{i}")).summary()
                assert s["ok"] == s["turns"], s
                runs[name].append(s)
                print(name, i, {k: round(v, 1) for k, v in s.items()}, flush=True)
        for name, rs in runs.items():
            print(f"{name}: median {statistics.median(s['turns_per_s'] for s in rs):.1f} turns/s, "
                  f"p50 {statistics.median(s['p50_ms'] for s in rs):.0f} ms, "
                  f"p95 {statistics.median(s['p95_ms'] for s in rs):.0f} ms")
    finally:
        if stack:
            stack.stop()
        topology.down()


if __name__ == "__main__":
    main()
