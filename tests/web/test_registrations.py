"""The registrations door (bot/web/registrations.py) and its CSV import (bot/web/registrations_cli.py)."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import segno
import structlog
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.web import credit_code as cc
from bot.web import registrations, registrations_cli
from bot.web.app import create_app
from bot.web.config import Settings
from bot.web.db import Conversation, Registrant, TurnLog
from bot.web.links import verify_sender_token
from bot.web.rasa_client import RasaUnavailable
from tests.web.fakes import FakeRasa

RELEVANCE_TAGS = yaml.safe_load((Path(__file__).parents[2] / "knowledge/data/relevance/criminal_risk.yml")
                                .read_text(encoding="utf-8"))["tags"]

SECRET = "registration-shared-secret"
KEY = "front-secret-key"
PUBLIC = "https://hegui.example"
# constructed by hand in tests/web/test_credit_code.py
CODE = "91110000000000000E"  # 企业
INDIVIDUAL = "92450100MA5KB1234F"  # 个体工商户


def make_app(tmp_path, kb, rasa=None, **kw):
    defaults = dict(database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key=KEY, registration_secret=SECRET,
                    public_url=PUBLIC, rate_limit_per_minute=1000, wechat_token="")
    defaults.update(kw)
    app = create_app(Settings(**defaults), rasa=rasa or FakeRasa())
    app["kb"] = kb
    return app


@pytest.fixture
def rasa():
    return FakeRasa()


@pytest.fixture
async def client(aiohttp_client, tmp_path, kb, rasa):
    return await aiohttp_client(make_app(tmp_path, kb, rasa))


def payload(**kw) -> dict:
    return {"company_name": "南宁市老友记餐饮有限公司", "credit_code": CODE, "industry": "餐饮服务",
            "region": "南宁市", "contact": "13812345678", **kw}


def signed(body: bytes, secret: str = SECRET, ts: float | None = None) -> dict:
    """Signed as the registration system does, computed here independently: HMAC over "<timestamp>.<body>"."""
    timestamp = str(int(time.time() if ts is None else ts))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Signature": f"sha256={digest}", "X-Timestamp": timestamp}


async def register(client, data, **kw):
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return await client.post("/api/registrations", data=body, headers=signed(body, **kw))


def token_of(link: str) -> str:
    assert link.startswith(PUBLIC + "/?t=")
    return parse_qs(urlsplit(link).query)["t"][0]


def svg_modules(svg: str) -> tuple[set[tuple[int, int]], str]:
    """Dark modules drawn by segno's SVG path (row, column, border included) and the <desc> text."""
    root = ET.fromstring(svg)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    path = root.find("svg:path", ns).get("d")
    desc = root.find("svg:desc", ns).text
    dark, x, y = set(), 0.0, 0.0
    for cmd, args in re.findall(r"([MmHh])([-\d. ]+)", path):
        nums = [float(n) for n in args.split()]
        if cmd == "M":
            x, y = nums
        elif cmd == "m":
            x, y = x + nums[0], y + nums[1]
        else:
            length = nums[0] if cmd == "h" else nums[0] - x
            for i in range(int(length)):
                dark.add((int(y - 0.5), int(x) + i))
            x += length
    return dark, desc


def assert_qr_encodes(svg: str, link: str) -> None:
    dark, desc = svg_modules(svg)
    assert desc == link
    expected = segno.make_qr(link, error="m")
    border = 4
    want = {(r + border, c + border) for r, row in enumerate(expected.matrix) for c, v in enumerate(row) if v}
    assert dark == want  # the drawn symbol is exactly the QR code of the signed link


# ---------------------------------------------------------------------------------------------- authentication


async def test_unsigned_request_is_401(client, rasa):
    body = json.dumps(payload()).encode()
    resp = await client.post("/api/registrations", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 401
    assert "X-Signature" in (await resp.json())["error"]
    headers = signed(body)
    del headers["X-Timestamp"]
    resp = await client.post("/api/registrations", data=body, headers=headers)
    assert resp.status == 401
    assert rasa.appended == []


@pytest.mark.parametrize("headers", [
    lambda b: signed(b, secret="wrong-secret"),
    lambda b: {**signed(b), "X-Signature": "sha256=" + "0" * 64},
    lambda b: {**signed(b), "X-Signature": "md5=abc"},
    lambda b: signed(b + b" "),  # signed a different body
])
async def test_wrong_signature_is_403(client, rasa, headers):
    body = json.dumps(payload()).encode()
    resp = await client.post("/api/registrations", data=body, headers=headers(body))
    assert resp.status == 403
    assert rasa.appended == []
    assert await client.app["db"].run(lambda s: s.query(Registrant).count()) == 0


@pytest.mark.parametrize("offset", [-301, 301, -86400])
async def test_stale_timestamp_is_refused(client, rasa, offset):
    resp = await register(client, payload(), ts=time.time() + offset)
    assert resp.status == 403
    assert "5分钟" in (await resp.json())["error"]
    assert rasa.appended == []


async def test_timestamp_within_five_minutes_and_in_milliseconds_is_accepted(client):
    assert (await register(client, payload(), ts=time.time() - 250)).status == 201
    resp = await register(client, payload(credit_code=INDIVIDUAL), ts=time.time() * 1000)
    assert resp.status == 201


async def test_a_captured_request_replayed_with_a_fresh_timestamp_is_refused(client, rasa):
    """The signature covers X-Timestamp: an attacker who captured a request cannot refresh its timestamp."""
    body = json.dumps(payload(), ensure_ascii=False).encode()
    captured = signed(body, ts=time.time() - 3600)  # sent an hour ago
    assert (await client.post("/api/registrations", data=body, headers=captured)).status == 403
    replay = {**captured, "X-Timestamp": str(int(time.time()))}  # same signature, fresh timestamp
    resp = await client.post("/api/registrations", data=body, headers=replay)
    assert resp.status == 403 and "签名" in (await resp.json())["error"]
    old_style = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()  # the body alone, as before
    resp = await client.post("/api/registrations", data=body,
                             headers={**replay, "X-Signature": f"sha256={old_style}"})
    assert resp.status == 403
    assert rasa.appended == [] and await client.app["db"].run(lambda s: s.query(Registrant).count()) == 0


@pytest.mark.parametrize("signature", ["sha256=签名", "sha256=é" + "0" * 63, "sha256=\u00ff"])
async def test_a_non_ascii_signature_is_403_not_500(client, signature):
    body = json.dumps(payload(), ensure_ascii=False).encode()
    headers = {**signed(body), "X-Signature": signature}
    resp = await client.post("/api/registrations", data=body,
                             headers={k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()})
    assert resp.status == 403 and (await resp.json())["error"]


async def test_two_thousand_nested_brackets_are_400_not_500(client):
    body = b"[" * 2000 + b"]" * 2000  # 4 KB, deeper than Python's json recursion
    resp = await client.post("/api/registrations", data=body, headers=signed(body))
    assert resp.status == 400 and (await resp.json())["error"]


async def test_not_configured_is_503(aiohttp_client, tmp_path, kb):
    c = await aiohttp_client(make_app(tmp_path, kb, registration_secret=""))
    resp = await register(c, payload())
    assert resp.status == 503
    assert "REGISTRATION_HMAC_SECRET" in (await resp.json())["error"]


async def test_oversized_body_is_413(client):
    resp = await register(client, payload(company_name="大" * 20000))
    assert resp.status == 413


# ---------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("changes, field, words", [
    ({"credit_code": "91110000000000000F"}, "credit_code", "校验位不符"),
    ({"credit_code": "9111000000000000"}, "credit_code", "18位"),
    ({"credit_code": None}, "credit_code", "不能为空"),
    ({"company_name": ""}, "company_name", "不能为空"),
    ({"company_name": 42}, "company_name", "必须是字符串"),
    ({"company_name": "公" * 101}, "company_name", "过长"),
    ({"industry": "   "}, "industry", "不能为空"),
    ({"region": ["南宁"]}, "region", "必须是字符串"),
    ({"contact": {"phone": 1}}, "contact", "必须是字符串"),
])
async def test_invalid_fields_get_clear_400(client, rasa, changes, field, words):
    resp = await register(client, payload(**changes))
    assert resp.status == 400
    answer = await resp.json()
    assert words in answer["errors"][field]
    assert field in answer["error"] or len(answer["errors"]) > 1
    assert rasa.appended == []


async def test_every_invalid_field_is_named(client):
    resp = await register(client, {"credit_code": "x"})
    answer = await resp.json()
    assert resp.status == 400
    assert set(answer["errors"]) == {"company_name", "credit_code", "industry", "region"}


@pytest.mark.parametrize("body, status", [(b"not json", 400), (b"[1, 2]", 400), (b'"text"', 400),
                                          (b"\xff\xfe", 400)])
async def test_bad_json_is_400(client, body, status):
    resp = await register(client, body)
    assert resp.status == status


# ---------------------------------------------------------------------------------------------- delivery


async def test_registration_delivers_a_first_push_and_a_checklist(client, rasa):
    resp = await register(client, payload())
    assert resp.status == 201
    answer = await resp.json()
    sender = "reg-" + CODE
    assert answer["sender"] == sender and answer["created"] is True and answer["delivered"] == 2
    assert answer["industries"] == ["餐饮"] and answer["kind"] == "有限责任公司"

    events = [e for s, evs in rasa.appended for e in evs if s == sender]
    assert [e["event"] for e in events] == ["bot", "bot"]
    assert all(e["metadata"] == {"source": "prompt"} for e in events)  # shown as cards, not as system notices
    first, checklist = (e["data"]["custom"] for e in events)
    assert [first["data"]["prompt"], checklist["data"]["prompt"]] == ["first_push", "checklist"]

    # the first push: one screen, who it is for, what to do with its basis, the first annual report
    text = events[0]["text"]
    assert len(text) <= 600
    assert text.startswith("【开业合规提醒】\n南宁市老友记餐饮有限公司（有限责任公司 · 餐饮）")
    assert "食品经营许可" in text and "（食品安全法第三十五条）" in text
    assert "首次年报：" in text and "（企业信息公示暂行条例第八条）" in text
    assert first["citations"] and all(c["law"] and c["article"] and c["quote"] and c["version"]
                                      for c in first["citations"])
    assert "criminal.finance.illegal_deposits" not in first["data"]["criminal_risks"]
    assert "criminal.food.unsafe_food" in first["data"]["criminal_risks"]
    assert "guide.annual_report.deadline" in first["kb_ids"]
    buttons = events[0]["data"]["buttons"]
    assert [b["payload"] for b in buttons] == ['/browse_compliance{"industry": "餐饮"}',
                                               '/ask_criminal_risk{"industry": "餐饮"}',
                                               '/ask_compliance{"kb_id": "guide.annual_report.deadline"}']
    assert events[1]["data"]["buttons"] == buttons  # the widget shows the last message's quick replies

    # the checklist: the licences with their articles, quoted
    lines = events[1]["text"].splitlines()
    assert any(line.startswith("□ 食品经营许可证：") and line.endswith("（食品安全法第三十五条）") for line in lines)
    assert any(line.startswith("□ 从业人员健康证明：") for line in lines)
    assert any(c["article"] == "第四十五条" and "健康证明" in c["quote"] for c in checklist["citations"])
    assert "market.food.no_licence" in checklist["kb_ids"]
    assert checklist["sections"][0] == "开业前" and "首次年报" in checklist["sections"]

    def stored(s):
        reg = s.query(Registrant).filter_by(credit_code=CODE).one()
        conv = s.get(Conversation, sender)
        turns = s.query(TurnLog).filter_by(sender_id=sender).all()
        return reg.company_name, reg.contact, reg.delivered_at, conv.channel, conv.registrant_id == reg.id, turns

    name, contact, delivered_at, channel, linked, turns = await client.app["db"].run(stored)
    assert (name, contact, channel, linked) == ("南宁市老友记餐饮有限公司", "13812345678", "registration", True)
    assert delivered_at is not None
    assert [t.direction for t in turns] == ["prompt"] * 2


async def test_individual_business_is_named_and_told_its_own_annual_report(client, rasa):
    resp = await register(client, payload(credit_code=INDIVIDUAL, company_name="柳州螺蛳粉小店", industry="小吃店"))
    assert resp.status == 201 and (await resp.json())["kind"] == "个体工商户"
    first, checklist = (e for _, evs in rasa.appended for e in evs)
    assert "（个体工商户 · 餐饮）" in first["text"] and "企业年度报告" not in first["text"] + checklist["text"]
    assert "可纸质报送" in first["text"] and "（市场主体登记管理条例实施细则第六十三条）" in first["text"]
    assert "guide.annual_report.individual_business" in first["data"]["custom"]["kb_ids"]
    assert first["data"]["buttons"][-1]["payload"] == '/ask_compliance{"kb_id": "guide.annual_report.individual_business"}'
    assert "未引用" in checklist["text"]  # the 个体工商户 rule that is derived, not quoted, says so
    assert "住房公积金" not in first["text"] + checklist["text"]  # 单位 only (住房公积金管理条例 第二条)


# at least 8 industries × {个体工商户, 公司}, through the signed door
DOOR_CASES = {"餐饮": "食品经营许可证", "超市": "食品经营许可证", "美容美发": "公共场所卫生许可证",
              "酒店民宿": "旅馆开业的公安机关意见", "娱乐场所": "娱乐经营许可证及公安备案", "网吧": "上网服务经营许可",
              "旅行社": "旅行社业务经营许可证", "烟草零售": "烟草专卖零售许可证", "食品生产": "食品生产许可证",
              "人力资源服务": "人力资源服务许可证或备案"}


@pytest.mark.parametrize("kind, code, name, label", [("个体工商户", INDIVIDUAL, "张记{}", "个体工商户"),
                                                      ("公司", CODE, "广西某某{}有限公司", "有限责任公司")])
async def test_every_industry_and_kind_through_the_door(client, rasa, kind, code, name, label):
    for industry, licence in DOOR_CASES.items():
        await client.app["db"].run(lambda s: (s.query(TurnLog).delete(), s.query(Conversation).delete(),
                                              s.query(Registrant).delete()))
        rasa.appended.clear()
        resp = await register(client, payload(company_name=name.format(industry), credit_code=code, industry=industry))
        assert resp.status == 201, industry
        first, checklist = (e for _, evs in rasa.appended for e in evs)
        assert len(first["text"]) <= 600, industry
        assert f"{name.format(industry)}（{label} · {industry}）" in first["text"]
        assert any(line.startswith(f"□ {licence}：") for line in checklist["text"].splitlines()), industry
        kb = client.app["kb"]
        for c in first["data"]["custom"]["citations"] + checklist["data"]["custom"]["citations"]:
            law = next(k for k, v in kb.statutes.items() if v.title == c["law"])
            assert c["quote"] in kb.statutes[law].article(c["article"])
        for rid in first["data"]["custom"]["data"]["criminal_risks"]:
            assert industry in RELEVANCE_TAGS[rid]["industries"], (industry, rid)


async def test_unknown_industry_gets_general_prompts_and_a_warning(client, rasa):
    resp = await register(client, payload(industry="量子计算软件开发"))
    answer = await resp.json()
    assert resp.status == 201 and answer["industries"] == [] and answer["warnings"]
    first = rasa.appended[0][1][0]
    assert first["data"]["custom"]["data"]["criminal_risks"] == []
    assert [b["payload"] for b in first["data"]["buttons"]] == ['/ask_compliance{"kb_id": "guide.annual_report.deadline"}']
    assert "行业未能识别" in first["text"] and len(first["text"]) <= 600


@pytest.mark.parametrize("value, words", [("2025-13-01", "不是有效日期"), ("2999-01-01", "不能晚于今天"),
                                          (20250101, "字符串"), ("1900-01-01", "1978")])
async def test_bad_registration_date_is_400(client, rasa, value, words):
    resp = await register(client, payload(registered_on=value))
    assert resp.status == 400
    assert words in (await resp.json())["errors"]["registered_on"]
    assert rasa.appended == []


async def test_registration_date_sets_the_first_annual_report(client, rasa):
    last_year = dt.date.today().year - 1
    resp = await register(client, payload(credit_code=INDIVIDUAL, registered_on=f"{last_year}/12/30"))
    assert resp.status == 201
    first = rasa.appended[0][1][0]
    assert f"首次年报：{last_year + 1}年1月1日至6月30日报送{last_year}年度报告" in first["text"]
    assert first["data"]["custom"]["data"]["deadline"] == f"{last_year + 1}-06-30"


async def test_repeat_is_idempotent(client, rasa):
    first = await (await register(client, payload())).json()
    appended = len(rasa.appended)
    again = await register(client, payload(company_name="改了名字的公司", credit_code=" " + CODE.lower()))
    assert again.status == 200
    answer = await again.json()
    assert answer["sender"] == first["sender"] and answer["created"] is False and answer["delivered"] == 0
    assert len(rasa.appended) == appended
    assert await client.app["db"].run(lambda s: s.query(Registrant).count()) == 1


async def test_concurrent_repeats_deliver_once(client, rasa):
    results = await asyncio.gather(*(register(client, payload()) for _ in range(5)))
    assert sorted(r.status for r in results) == [200, 200, 200, 200, 201]
    assert len(rasa.appended) == 2
    assert client.app["registrations"].locks == {}  # no lock left behind per credit code


async def test_failed_delivery_is_retried_by_the_next_request(aiohttp_client, tmp_path, kb):
    rasa = FakeRasa()
    c = await aiohttp_client(make_app(tmp_path, kb, rasa))
    # the second prompt fails: the first one is in the conversation, the registrant is stored
    original = rasa.append_events
    calls = {"n": 0}

    async def flaky(sender, events):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RasaUnavailable("down")
        return await original(sender, events)

    rasa.append_events = flaky
    resp = await register(c, payload())
    assert resp.status == 503
    assert (await resp.json())["sender"] == "reg-" + CODE
    assert len(rasa.appended) == 1
    resp = await register(c, payload())
    assert resp.status == 200
    assert (await resp.json())["delivered"] == 1  # only the missing one
    topics = [evs[0]["data"]["custom"]["data"]["prompt"] for _, evs in rasa.appended]
    assert topics == ["first_push", "checklist"]
    again = await register(c, payload())
    assert (await again.json())["delivered"] == 0


async def test_log_lines_mask_credit_codes_and_phones(client):
    with structlog.testing.capture_logs() as logs:
        await register(client, payload())
        await register(client, payload(), secret="wrong")
    assert logs
    text = json.dumps(logs, ensure_ascii=False, default=str)
    assert CODE not in text and "13812345678" not in text


# ---------------------------------------------------------------------------------------------- link and QR


async def test_answer_has_signed_link_and_qr_of_it(client):
    answer = await (await register(client, payload())).json()
    link = answer["link"]
    assert verify_sender_token(KEY, token_of(link)) == "reg-" + CODE
    assert verify_sender_token("another-key", token_of(link)) is None
    assert answer["qr"].startswith("data:image/svg+xml")
    svg = unquote(answer["qr"].split(",", 1)[1])
    assert_qr_encodes(svg, link)
    assert answer["qr_url"].startswith(f"{PUBLIC}/api/registrations/{CODE}/qr.svg?")


async def test_qr_svg_route_serves_a_fresh_signed_link(client, monkeypatch):
    client.app["settings"].registration_qr_require_signature = False  # the open route, for a system without qr_url
    await register(client, payload())
    resp = await client.get(f"/api/registrations/{CODE}/qr.svg")
    assert resp.status == 200
    assert resp.content_type == "image/svg+xml"
    assert resp.headers["Cache-Control"] == "no-store"
    svg = await resp.text()
    _, link = svg_modules(svg)
    assert verify_sender_token(KEY, token_of(link)) == "reg-" + CODE
    assert_qr_encodes(svg, link)
    # the token expires: days, not years
    payload_part = token_of(link).split(".")[0]
    import base64

    expires = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))["e"]
    assert 0 < expires - time.time() <= 31 * 86400


async def test_qr_route_requires_the_signed_url_by_default(client, monkeypatch):
    answer = await (await register(client, payload())).json()
    client.app["settings"].registration_qr_require_signature = True
    assert (await client.get(f"/api/registrations/{CODE}/qr.svg")).status == 403
    signed_url = urlsplit(answer["qr_url"])
    assert (await client.get(f"{signed_url.path}?{signed_url.query}")).status == 200
    tampered = signed_url.query.replace("e=", "e=9")
    assert (await client.get(f"{signed_url.path}?{tampered}")).status == 403
    assert (await client.get(f"{signed_url.path}?e=1&s=%E4%B8%AD")).status == 403
    client.app["settings"].registration_qr_require_signature = False
    assert (await client.get(f"/api/registrations/{CODE}/qr.svg")).status == 200


async def test_qr_route_errors(client, monkeypatch):
    client.app["settings"].registration_qr_require_signature = False
    assert (await client.get(f"/api/registrations/{CODE}/qr.svg")).status == 404
    resp = await client.get("/api/registrations/91110000000000000F/qr.svg")
    assert resp.status == 400 and "校验位" in (await resp.json())["error"]


# ---------------------------------------------------------------------------------------------- composition


def test_industry_matching(kb):
    m = registrations.match_industries
    assert m(kb, "餐饮服务") == ["餐饮"]
    assert m(kb, "烟草零售") == ["烟草零售"]  # not also 零售
    assert m(kb, "软件和信息技术服务业") == []


def test_annual_report_deadline_follows_the_year(kb):
    prompts = registrations.compose_prompts(kb, "某公司", "餐饮", ["餐饮"], CODE, today=dt.date(2031, 8, 1))
    assert "首次年报：2032年1月1日至6月30日" in prompts[0]["text"]
    assert prompts[0]["custom"]["data"]["deadline"] == "2032-06-30"


def test_registration_date_formats():
    today = dt.date(2025, 7, 1)
    assert registrations.registration_date("2025-07-01", today) == today
    assert registrations.registration_date("２０２５/7/1", today) == today  # full-width, as Excel may save it
    assert registrations.registration_date("2025.07.01", today) == today
    assert registrations.registration_date("", today) is None and registrations.registration_date(None) is None
    with pytest.raises(ValueError):
        registrations.registration_date("2025-07-03", today)


# ---------------------------------------------------------------------------------------------- fuzz


def valid_codes():
    first = st.text(alphabet=cc.ALPHABET, min_size=2, max_size=2).flatmap(
        lambda head: st.text(alphabet="0123456789", min_size=6, max_size=6).flatmap(
            lambda region: st.text(alphabet=cc.ALPHABET, min_size=9, max_size=9).map(
                lambda tail: head + region + tail)))
    return first.map(lambda f17: f17 + cc.check_character(f17))


ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=3), max_leaves=8)
FIELD_VALUES = st.one_of(st.text(max_size=120), st.none(), st.integers(), ANY_JSON)
PAYLOADS = st.one_of(
    st.fixed_dictionaries({"company_name": FIELD_VALUES, "credit_code": st.one_of(valid_codes(), FIELD_VALUES),
                           "industry": FIELD_VALUES, "region": FIELD_VALUES},
                          optional={"contact": FIELD_VALUES}),
    st.fixed_dictionaries({"company_name": st.text(min_size=2, max_size=100), "credit_code": valid_codes(),
                           "industry": st.text(min_size=1, max_size=64), "region": st.text(min_size=1, max_size=64),
                           "contact": st.text(max_size=64)}),
    ANY_JSON,
)


def test_fuzzed_payloads_never_cause_5xx(tmp_path, kb):
    loop = asyncio.new_event_loop()
    app = make_app(tmp_path, kb)

    async def start():
        c = TestClient(TestServer(app))
        await c.start_server()
        return c

    client = loop.run_until_complete(start())
    statuses: set[int] = set()

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=st.one_of(PAYLOADS.map(lambda p: json.dumps(p, ensure_ascii=False).encode()),
                          st.binary(max_size=200),
                          st.just(b'{"company_name": "\\ud800\\udfff\\ud800", "credit_code": "' + CODE.encode()
                                  + b'", "industry": "\\u0000", "region": "x"}')))
    def check(body: bytes):
        async def go():
            resp = await client.post("/api/registrations", data=body, headers=signed(body))
            await resp.read()
            return resp.status

        status = loop.run_until_complete(go())
        statuses.add(status)
        assert status in (200, 201, 400, 413), (status, body[:200])

    try:
        check()
    finally:
        loop.run_until_complete(client.close())
        loop.close()
    assert 400 in statuses and (201 in statuses or 200 in statuses)


# ---------------------------------------------------------------------------------------------- CSV import

CSV = f"""企业名称,统一社会信用代码,行业,地区,联系方式
南宁市老友记餐饮有限公司,{CODE},餐饮,南宁市,13812345678
柳州螺蛳粉小店,{INDIVIDUAL},小吃店,柳州市,
错码公司,91110000000000000F,零售,南宁市,
,91350100M000100Y43,零售,南宁市,
"多行,名称
公司",91350100M000100Y43,零售,桂林市,
南宁市老友记餐饮有限公司,{CODE},餐饮,南宁市,13812345678
"""


async def test_csv_import_reports_rejected_rows(aiohttp_server, tmp_path, kb, rasa):
    server = await aiohttp_server(make_app(tmp_path, kb, rasa))
    path = tmp_path / "registrants.csv"
    path.write_text(CSV, encoding="utf-8-sig")
    header, rows = registrations_cli.read_csv(path)
    assert [r.line for r in rows] == [2, 3, 4, 5, 6, 8]
    result = await registrations_cli.import_rows(rows, str(server.make_url("")), SECRET, progress=False)
    assert (result.created, result.existing) == (3, 1)
    assert [(row.line, reason) for row, reason in result.rejected] == [
        (4, "credit_code（统一社会信用代码）：统一社会信用代码校验位不符，请核对是否有输错的字符"),
        (5, "company_name（企业名称）为空"),
    ]
    rejects = tmp_path / "rejects.csv"
    registrations_cli.write_rejects(rejects, header, result.rejected)
    lines = rejects.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "line,reason,企业名称,统一社会信用代码,行业,地区,联系方式"
    assert lines[1].startswith("4,") and "91110000000000000F" in lines[1]
    regs = await server.app["db"].run(lambda s: sorted(r.company_name for r in s.query(Registrant)))
    assert regs == sorted(["南宁市老友记餐饮有限公司", "柳州螺蛳粉小店", "多行,名称 公司"])  # line breaks become spaces


async def test_csv_import_reports_server_side_rejections(aiohttp_server, tmp_path, kb):
    server = await aiohttp_server(make_app(tmp_path, kb))
    path = tmp_path / "r.csv"
    path.write_text(f"company_name,credit_code,industry,region\n某公司,{CODE},餐饮,{'区' * 70}\n", encoding="utf-8")
    _, rows = registrations_cli.read_csv(path)
    result = await registrations_cli.import_rows(rows, str(server.make_url("")), SECRET, progress=False)
    assert [(r.line, reason) for r, reason in result.rejected] == [(2, "HTTP 400：region（地区）过长：上限64个字")]
    wrong = await registrations_cli.import_rows(rows, str(server.make_url("")), "bad-secret", progress=False)
    assert wrong.rejected[0][1].startswith("HTTP 403：签名不正确")


def test_csv_header_problems(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,code\nA,B\n", encoding="utf-8")
    with pytest.raises(registrations_cli.CliError, match="缺少列"):
        registrations_cli.read_csv(path)
    path.write_bytes("企业名称,统一社会信用代码,行业,地区\n某公司,x,餐饮,南宁\n".encode("gbk"))  # saved by Excel
    _, rows = registrations_cli.read_csv(path)
    assert rows[0].values["company_name"] == "某公司"


def test_cli_end_to_end(tmp_path, kb, capsys):
    """``python -m bot.web.registrations_cli import`` against a front running in another thread."""
    app = make_app(tmp_path, kb)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    ready = threading.Event()
    port = {}

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port["n"] = site._server.sockets[0].getsockname()[1]
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        path = tmp_path / "in.csv"
        path.write_text(CSV, encoding="utf-8")
        rejects = tmp_path / "rejects.csv"
        code = registrations_cli.main(["import", str(path), "--url", f"http://127.0.0.1:{port['n']}",
                                       "--secret", SECRET, "--rejects", str(rejects), "--no-progress"])
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
    out = capsys.readouterr().out
    assert code == 1
    assert "共 6 行：新登记 3，已存在 1，拒绝 2" in out
    assert "第4行：credit_code（统一社会信用代码）：统一社会信用代码校验位不符" in out
    assert "第5行：company_name（企业名称）为空" in out
    assert len(rejects.read_text(encoding="utf-8-sig").splitlines()) == 3


def test_cli_usage_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("REGISTRATION_HMAC_SECRET", raising=False)
    assert registrations_cli.main(["import", str(tmp_path / "x.csv")]) == 2
    assert registrations_cli.main(["import", str(tmp_path / "missing.csv"), "--secret", "s"]) == 2
    assert "无法读取文件" in capsys.readouterr().err


def test_cli_preview_shows_what_each_registrant_would_receive(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text(CSV, encoding="utf-8")
    code = registrations_cli.main(["preview", str(path), "--checklist"])
    out = capsys.readouterr().out
    assert code == 1  # two unusable rows, named
    assert "南宁市老友记餐饮有限公司（有限责任公司 · 餐饮）" in out and "柳州螺蛳粉小店（个体工商户 · 餐饮）" in out
    assert "【开业30天清单 · 餐饮】" in out and "按钮：餐饮合规事项清单｜餐饮相关刑事风险｜年报怎么报" in out
    assert "第4行：credit_code（统一社会信用代码）" in out and "第5行：company_name（企业名称）为空" in out
    blocks = [b for b in out.split("—— ") if b.startswith("第")]
    assert blocks and all(int(b.split("（")[1].split("字")[0]) <= 600 for b in blocks)


async def test_csv_registration_date_reaches_the_first_annual_report(aiohttp_server, tmp_path, kb, rasa):
    server = await aiohttp_server(make_app(tmp_path, kb, rasa))
    last_year = dt.date.today().year - 1
    path = tmp_path / "dated.csv"
    path.write_text(f"企业名称,统一社会信用代码,行业,地区,成立日期\n柳州螺蛳粉小店,{INDIVIDUAL},小吃店,柳州市,{last_year}-12-30\n"
                    f"某公司,{CODE},餐饮,南宁市,明年\n", encoding="utf-8")
    _, rows = registrations_cli.read_csv(path)
    result = await registrations_cli.import_rows(rows, str(server.make_url("")), SECRET, progress=False)
    assert result.created == 1
    assert [(r.line, reason) for r, reason in result.rejected] == [
        (3, "registered_on（成立日期）：“明年”不是有效日期，格式应为 YYYY-MM-DD")]
    first = rasa.appended[0][1][0]
    assert f"首次年报：{last_year + 1}年1月1日至6月30日报送{last_year}年度报告" in first["text"]
