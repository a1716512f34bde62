"""End to end over HTTP: the web front, Rasa and the action server as real processes."""
import json
import urllib.error
import urllib.request

import pytest

from tests.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack():
    s = Stack().start()
    yield s
    s.stop()


def post(stack, body, content_type="application/json", method="POST", path="/api/messages"):
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(stack.url + path, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_the_slice_question_gets_a_cited_answer(stack, kb):
    status, messages = post(stack, {"sender": "e2e-slice", "message": "卖过期食品会被罚多少钱？"})
    assert status == 200
    cards = [m for m in messages if m.get("custom", {}).get("topic") == "compliance"]
    assert cards, messages
    custom = cards[0]["custom"]
    assert "market.food.expired_food" in custom["kb_ids"]
    titles = {law.title: law for law in kb.statutes.values()}
    assert custom["citations"]
    for c in custom["citations"]:
        assert set(c) == {"law", "article", "quote", "version"}
        assert c["quote"] in titles[c["law"]].article(c["article"])
    assert "不构成法律意见" in cards[0]["text"]


def test_one_message_fills_the_whole_fee_form(stack):
    status, messages = post(stack, {"sender": "e2e-fee", "message": "50万的合同纠纷，简易程序，调解结案，诉讼费多少"})
    assert status == 200
    card = next(m for m in messages if m.get("custom", {}).get("topic") == "litigation_fee")
    assert card["custom"]["data"]["fee_max"] == "4400.00"
    assert all(not b["title"].startswith("/") for b in card.get("buttons", []))


class Console:
    """The staff console over HTTP, as a browser uses it (cookie, CSRF token from the page)."""

    def __init__(self, stack, username: str = "e2e-agent", password: str = "e2e agent password"):
        import http.cookiejar
        import subprocess
        import sys

        subprocess.run([sys.executable, "-m", "bot.web.staff", "--database-url", f"sqlite:///{stack.dir / 'web.db'}",
                        "create-user", username, "--name", "测试坐席", "--password-stdin"],
                       input=password + "\n", text=True, check=True, capture_output=True)
        self.url = stack.url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = self._csrf("/staff/login")
        self.post("/staff/login", username=username, password=password)
        self.csrf = self._csrf("/staff/")

    def _csrf(self, path: str) -> str:
        import re

        page = self.opener.open(self.url + path, timeout=30).read().decode()
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def post(self, path: str, **form) -> str:
        from urllib.parse import urlencode

        data = urlencode({"csrf": self.csrf, **form}).encode()
        with self.opener.open(urllib.request.Request(self.url + path, data=data, method="POST"), timeout=60) as r:
            return r.read().decode()


def test_first_message_handoff_is_queued_held_and_handed_back_to_a_bot_that_answers(stack):
    sender = "e2e-handoff"
    status, first = post(stack, {"sender": sender, "message": "转人工"})
    assert status == 200 and [m["custom"]["topic"] for m in first] == ["handoff", "handoff"]
    assert first[1]["custom"]["data"]["position"] >= 1 and "预计等待" in first[1]["text"]
    status, held = post(stack, {"sender": sender, "message": "您好，罚款能分期吗"})
    assert status == 200 and held == []  # for the agent: no bot answer, no repeated notice

    console = Console(stack)
    queue = json.loads(console.opener.open(stack.url + "/staff/api/queue", timeout=30).read())
    assert sender in [item["sender_id"] for item in queue["items"]]
    console.post(f"/staff/conversations/{sender}/take")
    console.post(f"/staff/conversations/{sender}/reply", text="可以向作出处罚决定的机关申请分期缴纳。")
    console.post(f"/staff/conversations/{sender}/handback")

    # the next question gets the answer a fresh conversation gets, and is not queued again
    status, after = post(stack, {"sender": sender, "message": "卖过期食品会被罚多少钱？"})
    assert status == 200
    assert card_of(after, "compliance") is not None, after
    assert card_of(after, "handoff") is None
    queue = json.loads(console.opener.open(stack.url + "/staff/api/queue", timeout=30).read())
    assert sender not in [item["sender_id"] for item in queue["items"]]


@pytest.mark.parametrize("body, content_type, status", [
    ({"sender": "e2e-bad", "message": ""}, "application/json", 400),
    ({"sender": "e2e-bad", "message": "   "}, "application/json", 400),
    ({"sender": "e2e-bad", "message": "问" * 3000}, "application/json", 413),
    ({"sender": "e2e-bad"}, "application/json", 400),
    ({"sender": 5, "message": "你好"}, "application/json", 400),
    ({"sender": "../../etc", "message": "你好"}, "application/json", 400),
    (b"{not json", "application/json", 400),
    (b"[1,2]", "application/json", 400),
    ({"sender": "e2e-bad", "message": "你好"}, "text/plain", 415),
])
def test_bad_input_gets_a_clear_message(stack, body, content_type, status):
    code, payload = post(stack, body, content_type)
    assert code == status
    assert payload.get("error")


def test_wrong_method_and_unknown_route(stack):
    assert post(stack, b"", method="GET")[0] == 405
    code, payload = post(stack, {"x": 1}, path="/api/nothing-here")
    assert code == 404 and payload["error"]


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port``, from the kernel's table (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and state == "0A":  # 0A = LISTEN
                found.add(addr)
    return found


def test_rasa_and_actions_listen_on_loopback_only(stack):
    loopback = {"0100007F", "00000000000000000000000001000000"}
    for name in ("rasa0", "actions"):
        addrs = listening_addresses(stack.ports[name])
        assert addrs and addrs <= loopback, (name, addrs)
    assert listening_addresses(stack.ports["web"])


def turn(stack, sender, text):
    status, messages = post(stack, {"sender": sender, "message": text})
    assert status == 200 and messages, (text, status, messages)
    return messages


def card_of(messages, topic):
    return next((m for m in messages if (m.get("custom") or {}).get("topic") == topic), None)


def test_a_correction_mid_form_is_used(stack):
    s = "e2e-correct"
    for text in ["帮我算一下诉讼费", "合同纠纷", "50万", "不对，金额是80万", "普通程序"]:
        turn(stack, s, text)
    answer = card_of(turn(stack, s, "判决"), "litigation_fee")
    assert answer["custom"]["data"]["fee_max"] == "11800.00"  # 8,800 + 300,000 × 1%


def test_switching_topic_mid_form_answers_the_new_question(stack):
    s = "e2e-switch"
    turn(stack, s, "诉讼费怎么算")
    answer = card_of(turn(stack, s, "对了，没有明码标价会被罚吗"), "compliance")
    assert answer and answer["custom"]["kb_ids"][0].startswith("market.price.")


def test_two_unusable_answers_get_an_explanation_and_an_offer_to_stop(stack):
    s = "e2e-help"
    turn(stack, s, "帮我算一下诉讼费")
    turn(stack, s, "合同纠纷")
    first = " ".join(m.get("text", "") for m in turn(stack, s, "啊啊啊"))
    assert "金额" in first
    second = turn(stack, s, "嗯嗯嗯嗯")
    assert any("停下" in (m.get("text") or "") for m in second)
    assert any(b["title"] == "不算了" for m in second for b in m.get("buttons") or [])


def test_why_quotes_the_basis_of_the_last_answer(stack, kb):
    s = "e2e-why"
    turn(stack, s, "灭火器过期了会罚款吗")
    why = next(m for m in turn(stack, s, "依据是什么") if m.get("custom"))
    assert why["custom"]["citations"]
    for c in why["custom"]["citations"]:
        assert c["quote"] in why["text"]


def test_out_of_scope_and_nonsense_get_a_next_step_never_silence(stack):
    for text in ["遗产怎么继承", "asdfgh", "😀😀😀", "？？？"]:
        messages = turn(stack, f"e2e-oos-{len(text)}", text)
        assert any(m.get("buttons") or "12348" in (m.get("text") or "") for m in messages), text


def test_a_question_about_fee_rules_is_answered_from_the_guide_not_the_calculator(stack, kb):
    messages = turn(stack, "e2e-fee-rules", "官司打赢了诉讼费对方出吗")
    card = card_of(messages, "litigation_fee")
    assert card and "guide.litigation_fee.bearing" in card["custom"]["kb_ids"]
    assert any(c["article"] == "第二十九条" for c in card["custom"]["citations"])


def test_the_fee_answer_says_who_prepays_and_who_bears_it(stack):
    card = card_of(turn(stack, "e2e-fee-who", "50万的合同纠纷判决结案普通程序诉讼费多少"), "litigation_fee")
    assert "谁预交" in card["text"] and "谁负担" in card["text"]
    assert {"guide.litigation_fee.prepayment", "guide.litigation_fee.bearing"} <= set(card["custom"]["kb_ids"])


def _test_messages() -> list[str]:
    import yaml

    from tests.stack import ROOT

    nlu = yaml.safe_load((ROOT / "tests" / "nlu" / "test_nlu.yml").read_text(encoding="utf-8"))["nlu"]
    texts = [line.strip()[2:] for block in nlu for line in block["examples"].splitlines() if line.strip()]
    retrieval = yaml.safe_load((ROOT / "bench" / "retrieval_set.yml").read_text(encoding="utf-8"))["questions"]
    return texts + [q["q"] for q in retrieval]


def test_free_typing_never_gets_silence_a_raw_payload_or_an_unverified_quote(stack, kb):
    """Every held-out message and retrieval question, typed into conversations of 20 turns each (so answers land
    mid-form too): each turn is answered, no user-visible text is a payload, every quote is verbatim."""
    titles = {law.title: law for law in kb.statutes.values()}
    texts = _test_messages()
    assert len(texts) > 700
    queued: set[str] = set()  # conversations that asked for a person: later messages are held for staff
    for i, text in enumerate(texts):
        sender = f"e2e-free-{i // 20}"
        status, messages = post(stack, {"sender": sender, "message": text})
        assert status == 200 and (messages or sender in queued), text
        if any(((m.get("custom") or {}).get("data") or {}).get("waiting") for m in messages):
            queued.add(sender)  # told the place in the queue once; not again for every message
        for m in messages:
            assert not ((m.get("custom") or {}).get("data") or {}).get("error"), (text, m)  # no failed action
            assert not (m.get("text") or "").lstrip().startswith("/"), (text, m)
            assert all(not b["title"].startswith("/") for b in m.get("buttons") or []), (text, m)
            for c in (m.get("custom") or {}).get("citations", []):
                assert c["quote"] in titles[c["law"]].article(c["article"]), (text, c)
