"""Rate limits per sender and per client address (bot/web/ratelimit.py): a new sender id per request does not
get round them, memory stays bounded, Redis shares them between web replicas, WeChat is not limited per address."""
from __future__ import annotations

import asyncio
import hashlib
import time
import uuid

import pytest
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond

from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import Conversation
from bot.web.ratelimit import RateLimits
from tests.web.fakes import FakeRasa

REDIS_URL = "redis://127.0.0.1:6379/3"


def make_settings(tmp_path, **kw) -> Settings:
    return Settings(**{"database_url": f"sqlite:///{tmp_path / 'web.db'}", "secret_key": "k",
                       "rate_limit_per_minute": 1000, **kw})


@pytest.fixture
def rasa():
    return FakeRasa()


async def post(client, sender: str, headers: dict | None = None):
    return await client.post("/api/messages", json={"sender": sender, "message": "你好"}, headers=headers or {})


async def test_a_new_sender_per_request_is_stopped_by_the_per_address_limit(aiohttp_client, tmp_path, rasa):
    client = await aiohttp_client(create_app(make_settings(tmp_path, rate_limit_per_address_per_minute=5), rasa=rasa))
    statuses = [(await post(client, f"script-{i}")).status for i in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    resp = await post(client, "script-new")
    body = await resp.json()
    assert resp.status == 429 and body["error"] and 0 < body["retry_after"] <= 60
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert len(rasa.sent) == 5
    assert await client.app["db"].run(lambda s: s.query(Conversation).count()) == 5  # no row per refused request


async def test_one_sender_is_limited_per_minute(aiohttp_client, tmp_path, rasa):
    client = await aiohttp_client(create_app(make_settings(tmp_path, rate_limit_per_minute=3), rasa=rasa))
    assert [(await post(client, "chatty")).status for _ in range(5)] == [200, 200, 200, 429, 429]
    assert (await post(client, "someone-else")).status == 200


async def test_addresses_behind_a_trusted_proxy_count_apart_and_a_forged_header_does_not_help(
        aiohttp_client, tmp_path, rasa):
    limited = dict(rate_limit_per_address_per_minute=2)
    direct = await aiohttp_client(create_app(make_settings(tmp_path, **limited), rasa=rasa))
    forged = [(await post(direct, f"f{i}", {"X-Forwarded-For": f"10.0.0.{i}"})).status for i in range(4)]
    assert forged == [200, 200, 429, 429]  # no trusted proxy: the header is ignored

    proxied = await aiohttp_client(create_app(make_settings(tmp_path / "p", trusted_proxies=["127.0.0.1"], **limited),
                                              rasa=rasa))
    for office in ("203.0.113.7", "203.0.113.8"):
        statuses = [(await post(proxied, f"{office}-{i}", {"X-Forwarded-For": f"198.51.100.1, {office}"})).status
                    for i in range(3)]
        assert statuses == [200, 200, 429], office


async def test_wechat_is_limited_per_sender_but_not_per_address(aiohttp_client, tmp_path, rasa):
    token = "tok"
    client = await aiohttp_client(create_app(make_settings(tmp_path, wechat_token=token,
                                                           rate_limit_per_address_per_minute=2), rasa=rasa))
    for i in range(5):  # five WeChat users, all arriving from WeChat's servers
        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        signature = hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest()
        xml = (f"<xml><ToUserName>gh_test</ToUserName><FromUserName>openid-user-{i}</FromUserName>"
               f"<CreateTime>{ts}</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>{900 + i}</MsgId></xml>")
        resp = await client.post("/wechat", params={"signature": signature, "timestamp": ts, "nonce": nonce},
                                 data=xml.encode(), headers={"Content-Type": "text/xml"})
        assert resp.status == 200 and "ok" in await resp.text()
    assert len(rasa.sent) == 5


async def test_memory_stays_bounded_when_every_request_brings_a_new_sender():
    limits = RateLimits(RateLimitItemPerSecond(5), RateLimitItemPerSecond(10_000))
    for i in range(2000):
        assert (await limits.sender(f"throwaway-{i}")).allowed
    assert limits.tracked_keys() == 2000
    await asyncio.sleep(1.3)  # one window later every counter has expired
    await limits.sender("next")
    await asyncio.sleep(0.2)  # the storage sweeps expired counters in its own thread
    assert limits.tracked_keys() <= 2


async def test_replicas_sharing_redis_share_the_limit():
    sender = f"shared-{uuid.uuid4().hex}"
    item = RateLimitItemPerMinute(4)
    replica_a = RateLimits(item, item, REDIS_URL)
    replica_b = RateLimits(item, item, REDIS_URL)
    outcomes = []
    for i in range(6):
        outcomes.append((await (replica_a if i % 2 else replica_b).sender(sender)).allowed)
    assert outcomes == [True] * 4 + [False] * 2
    refused = await replica_a.sender(sender)
    assert not refused.allowed and 0 < refused.retry_after <= 60


async def test_an_unreachable_redis_keeps_the_doors_open():
    limits = RateLimits(RateLimitItemPerMinute(1), RateLimitItemPerMinute(1), "redis://127.0.0.1:1/0")
    assert all([(await limits.sender("x")).allowed for _ in range(3)])


async def test_the_settings_build_a_redis_limiter_when_configured(tmp_path):
    assert RateLimits.from_settings(make_settings(tmp_path, web_redis_url=REDIS_URL)).shared
    assert not RateLimits.from_settings(make_settings(tmp_path)).shared


@pytest.mark.parametrize("peer, forwarded, trusted, expected", [
    ("203.0.113.5", "", [], "203.0.113.5"),
    ("203.0.113.5", "198.51.100.9", [], "203.0.113.5"),  # not a trusted proxy: the header is the client's word
    ("10.0.0.2", "198.51.100.9, 10.0.0.3", ["10.0.0.0/8"], "198.51.100.9"),  # the nearest untrusted hop
    ("10.0.0.2", "garbage, 198.51.100.9", ["10.0.0.0/8"], "198.51.100.9"),
    ("2001:db8:1:2:3:4:5:6", "", [], "2001:db8:1:2::/64"),  # one subscriber's IPv6 prefix counts once
    ("::ffff:203.0.113.5", "", [], "203.0.113.5"),
])
def test_the_client_address_counted(peer, forwarded, trusted, expected):
    from aiohttp.test_utils import make_mocked_request

    from bot.web.ratelimit import client_address, trusted_networks

    app = {"trusted_proxies": trusted_networks(trusted)}
    request = make_mocked_request("POST", "/api/messages", headers={"X-Forwarded-For": forwarded} if forwarded else {},
                                  app=app)
    request._transport_peername = (peer, 1234)
    assert client_address(request) == expected
