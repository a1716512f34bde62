"""The reliability scenarios, written against a URL and fault hooks so that the same checks run on processes
(tests/reliability, `make reliability`) and on containers (tests/containers, `make containers`).

A scenario drives the load driver (tests/load.py) through the public door, injects its fault once the given share
of turns is done, then checks that every turn was answered and that the tracker store holds each conversation's
user turns exactly once and in order — nothing lost, duplicated or reordered.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import psycopg2

from tests.load import LoadResult, run_load, script

StoredTexts = Callable[[str], list[str]]  # sender id -> the user texts the tracker store holds, in order


def stored_user_texts(dsn: str, sender: str) -> list[str]:
    """The user turns of one conversation in a PostgreSQL tracker store (Rasa's ``events`` table)."""
    conn = psycopg2.connect(dsn)
    try:
        cur = conn.cursor()
        cur.execute("SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (sender,))
        return [json.loads(row[0])["text"] for row in cur.fetchall()]
    finally:
        conn.close()


def load_with_fault(url: str, conversations: int, turns: int, prefix: str, share: float,
                    fault: Callable[[], None]) -> LoadResult:
    """Run the load; call ``fault`` (blocking, in a thread) once ``share`` of all turns are done."""
    injected = asyncio.Event()

    async def inject(done: int, total: int) -> None:
        if done >= int(total * share) and not injected.is_set():
            injected.set()
            await asyncio.get_running_loop().run_in_executor(None, fault)

    result = asyncio.run(run_load(url, conversations, turns, prefix=prefix, on_progress=inject))
    assert injected.is_set(), "the fault was never injected"
    return result


def assert_nothing_lost(result: LoadResult, stored: StoredTexts, conversations: int, turns: int, prefix: str,
                        answered: bool = True) -> None:
    # (plain asserts here are not rewritten by pytest: say what failed)
    failed = [(t.sender, t.index, t.status, round(t.latency, 1)) for t in result.turns if t.status != 200]
    assert not failed, f"{len(failed)} turns failed (sender, turn, status, seconds): {failed[:10]}"
    if answered:
        unanswered = [(t.sender, t.index) for t in result.turns if not t.answered]
        assert not unanswered, f"{len(unanswered)} turns without an answer: {unanswered[:10]}"
    for c in range(conversations):
        sender = f"{prefix}-{c}"
        sent = [t.text for t in sorted((t for t in result.turns if t.sender == sender), key=lambda t: t.index)
                if t.status == 200]
        stored_texts = stored(sender)
        assert stored_texts == sent, f"{sender}: stored {len(stored_texts)} turns, acknowledged {len(sent)}"
        assert sent == script(c, turns), f"{sender}: not every turn was acknowledged"


def replica_killed_halfway(url: str, kill_replica: Callable[[], None], stored: StoredTexts,
                           conversations: int = 50, turns: int = 40, prefix: str = "rel") -> LoadResult:
    """50 conversations of 40 turns; one Rasa replica killed (SIGKILL) when half the turns are done."""
    result = load_with_fault(url, conversations, turns, prefix, 0.5, kill_replica)
    assert_nothing_lost(result, stored, conversations, turns, prefix)
    return result


def postgres_restarted_under_load(url: str, restart_postgres: Callable[[], None], stored: StoredTexts,
                                  conversations: int = 20, turns: int = 12, prefix: str = "pg") -> LoadResult:
    """20 conversations of 12 turns; PostgreSQL restarted a third of the way in."""
    result = load_with_fault(url, conversations, turns, prefix, 1 / 3, restart_postgres)
    assert_nothing_lost(result, stored, conversations, turns, prefix, answered=False)
    return result
