"""The web front's Rasa client: a slow replica is waited for, never sent the same turn twice."""
import asyncio

from bot.web.rasa_client import RasaClient
from tests.fakes import BackgroundServer, FakeRasaServer


def test_a_slow_turn_is_awaited_in_the_tracker_not_sent_again():
    servers = BackgroundServer()
    rasa = FakeRasaServer(delay=1.4)
    url = servers.serve(rasa.app())
    try:
        async def talk():
            client = RasaClient([url], timeout=1.0)
            try:
                return await client.send("slow-1", "卖过期食品会被罚多少钱？")
            finally:
                await client.close()

        messages = asyncio.run(talk())
        assert messages and messages[0]["custom"]["kb_ids"] == ["market.food.expired_food"]
        assert len(rasa.received) == 1  # the turn was processed once
    finally:
        servers.close()


def test_a_replica_that_is_gone_hands_its_senders_to_the_next():
    servers = BackgroundServer()
    alive = FakeRasaServer()
    url = servers.serve(alive.app())
    try:
        async def talk():
            client = RasaClient(["http://127.0.0.1:9", url], timeout=5.0)  # port 9: nothing listens
            try:
                return [await client.send(f"s-{i}", "你好") for i in range(6)]
            finally:
                await client.close()

        answers = asyncio.run(talk())
        assert all(answers) and len(alive.received) == 6
    finally:
        servers.close()


def test_a_timed_out_turn_that_was_dropped_is_sent_again_and_processed_once():
    servers = BackgroundServer()
    rasa = FakeRasaServer(slow_first=5.0)
    url = servers.serve(rasa.app())
    try:
        async def talk():
            client = RasaClient([url], timeout=1.0)
            try:
                return await client.send("slow-2", "卖过期食品会被罚多少钱？")
            finally:
                await client.close()

        messages = asyncio.run(talk())
        assert messages and messages[0]["custom"]["topic"] == "compliance"
        assert len(rasa.received) == 2  # sent again after the first was dropped
        assert [e["event"] for e in rasa.events["slow-2"]].count("user") == 1  # stored once
    finally:
        servers.close()
