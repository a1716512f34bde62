"""The card REST channel keeps the front's id for a turn: the front looks a timed-out turn up by that id in the
tracker before sending it again (bot/web/rasa_client.py), so an id Rasa made up itself means a duplicate turn."""
import asyncio
from types import SimpleNamespace

from bot.channels.card_rest import CardRestInput


def post(body: dict) -> list:
    """The channel's webhook handler called as Sanic would call it (no test client in the lock)."""
    received = []

    async def on_new_message(message):
        received.append(message)

    blueprint = CardRestInput().blueprint(on_new_message)
    handler = next(r.handler for r in blueprint._future_routes if r.uri == "/webhook")
    resp = asyncio.run(handler(SimpleNamespace(json=body)))
    assert resp.status == 200
    return received


def test_the_front_s_message_id_is_the_turn_s_id():
    received = post({"sender": "card-id", "message": "你好", "message_id": "front-0001"})
    assert [m.message_id for m in received] == ["front-0001"]


def test_without_a_usable_id_rasa_makes_one():
    received = post({"sender": "card-id", "message": "你好", "message_id": 12})
    assert len(received) == 1 and received[0].message_id and received[0].message_id != "12"
