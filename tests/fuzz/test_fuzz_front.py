"""Fuzz every public endpoint of the web front: hostile, malformed and oversized input never gives a 5xx,
always a clear message, and nothing is stored for a request that was refused."""
import json
import urllib.error
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import TurnLog
from tests.fakes import BackgroundServer, FakeRasaServer

HOSTILE = [
    "", " ", "\n\t", "\x00\x01\x02", "问" * 100_000, "😀" * 500, "'; DROP TABLE events; --", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "{{7*7}}", "${jndi:ldap://x}", "../../etc/passwd", "%00", "\u202e反转", "A" * 5000,
    "混合 mixed 文字 ١٢٣ Ελληνικά", "\ufffd",
]


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    servers = BackgroundServer()
    rasa = FakeRasaServer()
    rasa_url = servers.serve(rasa.app())
    tmp = tmp_path_factory.mktemp("fuzz")
    settings_ = Settings(rasa_urls=[rasa_url], database_url=f"sqlite:///{tmp / 'web.db'}",
                         tracker_db_url=f"sqlite:///{tmp / 'tracker.db'}", rate_limit_per_minute=100_000,
                         registration_secret="s3cret", wechat_token="tok")
    app = create_app(settings_)
    url = servers.serve(app)
    yield url, rasa, app
    servers.close()


def request(url, method="POST", body=b"", content_type="application/json", headers=None):
    req = urllib.request.Request(url, data=body if method not in ("GET", "HEAD") else None, method=method,
                                 headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def assert_clear(status, body):
    assert status < 500, (status, body[:300])
    if status >= 400 and body[:1] == b"{":
        assert json.loads(body).get("error") or json.loads(body).get("errors"), body[:200]


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=50),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
                           max_leaves=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(json_values, st.fixed_dictionaries({"sender": json_values, "message": json_values}),
                      st.fixed_dictionaries({"sender": st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True),
                                             "message": st.sampled_from(HOSTILE) | st.text(max_size=300)})))
def test_messages_endpoint_never_fails(front, body):
    url, rasa, _ = front
    status, payload = request(f"{url}/api/messages", body=json.dumps(body).encode())
    assert_clear(status, payload)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=2000), content_type=st.sampled_from(
    ["application/json", "text/plain", "application/xml", "multipart/form-data", "", "application/json; charset=gbk"]))
def test_raw_bodies_and_content_types(front, raw, content_type):
    url, _, _ = front
    for path in ("/api/messages", "/api/registrations", "/wechat?signature=x&timestamp=1&nonce=1"):
        status, payload = request(f"{url}{path}", body=raw, content_type=content_type)
        assert_clear(status, payload)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/api/messages", "/api/registrations", "/wechat", "/healthz", "/nope", "/staff/"])
def test_wrong_methods_and_paths(front, method, path):
    url, _, _ = front
    status, payload = request(f"{url}{path}", method=method)
    assert status < 500


@pytest.mark.parametrize("text", HOSTILE)
def test_refused_input_is_not_stored_and_accepted_input_is_stored_once(front, text):
    url, rasa, app = front
    before_rasa = len(rasa.received)
    with app["db"].session() as s:
        before_rows = s.query(TurnLog).filter(TurnLog.direction == "user").count()
    status, _ = request(f"{url}/api/messages", body=json.dumps({"sender": "fuzz-store", "message": text}).encode())
    with app["db"].session() as s:
        after_rows = s.query(TurnLog).filter(TurnLog.direction == "user").count()
    if status == 200:
        assert (len(rasa.received), after_rows) == (before_rasa + 1, before_rows + 1)
    else:
        assert status in (400, 413)
        assert (len(rasa.received), after_rows) == (before_rasa, before_rows)


def test_oversized_body_is_413_with_a_message(front):
    url, _, _ = front
    status, payload = request(f"{url}/api/messages", body=b'{"sender":"x","message":"' + b"a" * 200_000 + b'"}')
    assert status == 413 and json.loads(payload)["error"]


@pytest.mark.parametrize("sender", ["wx-openid123", "reg-91450500MA5K00000X", "assist-staff-1"])
def test_channel_owned_conversations_cannot_be_written_through_the_public_api(front, sender):
    url, rasa, _ = front
    before = len(rasa.received)
    status, payload = request(f"{url}/api/messages", body=json.dumps({"sender": sender, "message": "你好"}).encode())
    assert status == 403 and json.loads(payload)["error"]
    assert len(rasa.received) == before


@pytest.mark.parametrize("path", ["/api/messages", "/api/registrations", "/wechat?signature=x&timestamp=1&nonce=1"])
@pytest.mark.parametrize("body", [b"[" * 2000 + b"]" * 2000, b'{"sender":"x","message":' + b"[" * 2000 + b"]" * 2000 + b"}"],
                         ids=["nested array", "nested message"])
def test_deeply_nested_bodies_are_4xx(front, path, body):
    status, payload = request(f"{front[0]}{path}", body=body)
    assert 400 <= status < 500, (status, payload[:200])


@given(signature=st.text(min_size=1, max_size=80).filter(lambda s: s.strip() and all(
    0x20 <= ord(c) < 0x100 and c != "\x7f" for c in s)), timestamp=st.text(max_size=20).filter(
    lambda s: all(0x20 <= ord(c) < 0x100 and c != "\x7f" for c in s)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_signature_header_is_refused_with_a_4xx(front, signature, timestamp):
    url, rasa, _ = front
    status, payload = request(f"{url}/api/registrations", body=b'{"company_name": "x"}',
                              headers={"X-Signature": signature, "X-Timestamp": timestamp or "1"})
    assert status in (401, 403), (status, payload[:200])
