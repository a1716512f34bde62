"""The registration push's buttons, tapped against the real assistant (Rasa, the action server, the web front).

Each button of a noodle shop's first push is sent as the widget sends it (its payload) and must open what its
title promises: the industry's compliance list, the criminal risks tagged for the industry, the annual-report rules
for this kind of business.  (The public API cannot write into a registrant's own conversation, so a fresh sender
stands in for it.)
"""
import json
import urllib.request

import pytest
import yaml

from bot.web.registrations import compose_prompts
from knowledge.relevance import RELEVANCE_DIR
from tests.stack import Stack

pytestmark = pytest.mark.e2e

TAGGED = yaml.safe_load((RELEVANCE_DIR / "criminal_risk.yml").read_text(encoding="utf-8"))["tags"]


@pytest.fixture(scope="module")
def stack():
    s = Stack().start()
    yield s
    s.stop()


def tap(stack, sender: str, payload: str) -> list[dict]:
    req = urllib.request.Request(stack.url + "/api/messages", method="POST", headers={"Content-Type": "application/json"},
                                 data=json.dumps({"sender": sender, "message": payload}, ensure_ascii=False).encode())
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200
        return [m for m in json.load(r) if m.get("custom")]


def test_each_button_of_the_first_push_opens_what_it_says(stack, kb):
    first = compose_prompts(kb, "南宁市老友记面馆", "餐饮", ["餐饮"], "92450100MA5KB1234F")[0]
    buttons = {b["title"]: b["payload"] for b in first["buttons"]}
    assert list(buttons) == ["餐饮合规事项清单", "餐饮相关刑事风险", "年报怎么报"]

    listing = tap(stack, "e2e-reg-list", buttons["餐饮合规事项清单"])[-1]["custom"]
    assert listing["topic"] == "compliance" and "餐饮" in listing["title"]
    assert listing["kb_ids"] and all("餐饮" in kb.get(i).industries for i in listing["kb_ids"])

    risks = tap(stack, "e2e-reg-risks", buttons["餐饮相关刑事风险"])[-1]["custom"]
    assert risks["topic"] == "criminal_risk"
    assert risks["kb_ids"] and all("餐饮" in TAGGED[i]["industries"] for i in risks["kb_ids"])
    assert "criminal.finance.illegal_deposits" not in risks["kb_ids"]

    annual = tap(stack, "e2e-reg-annual", buttons["年报怎么报"])[-1]["custom"]
    assert annual["kb_ids"] == ["guide.annual_report.individual_business"]
    assert any(c["article"] == "第六十三条" for c in annual["citations"])
