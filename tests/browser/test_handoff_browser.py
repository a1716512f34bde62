"""The whole human handoff through the widget in a real headless Chromium, against the real assistant (Rasa,
the action server and the web front as processes): the first message asks for a person → the queue → a staff
member takes over → replies → hands back → the assistant answers the next question (not the fallback, not a
second handoff)."""
from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.stack import Stack

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AGENT, PASSWORD = "handoff-agent", "handoff browser password"
REPLY = "您好，我是热线工作人员。罚款可以向作出处罚决定的机关申请延期或者分期缴纳。"


@pytest.fixture(scope="module")
def stack():
    s = Stack().start()
    subprocess.run([sys.executable, "-m", "bot.web.staff", "--database-url", f"sqlite:///{s.dir / 'web.db'}",
                    "create-user", AGENT, "--name", "黄敏", "--password-stdin"],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def ask(page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")


def test_first_message_handoff_queue_takeover_reply_hand_back_and_the_bot_answers(stack, browser):
    user_ctx = browser.new_context(viewport={"width": 400, "height": 860}, locale="zh-CN", timezone_id="Asia/Shanghai")
    user = user_ctx.new_page()
    errors: list[str] = []
    user.on("pageerror", lambda e: errors.append(str(e)))
    user.goto(stack.url + "/")
    expect(user.locator(".chip", has_text="转人工")).to_be_visible()

    # the very first message asks for a person: queued, and told the place and the wait
    user.locator(".chip", has_text="转人工").click()
    expect(user.locator("#handoff-bar")).to_be_visible()
    notice = user.locator(".sys", has_text="预计等待")
    expect(notice).to_contain_text("第 1 位")
    expect(user.locator(".chip", has_text="取消转人工")).to_be_visible()
    ask(user, "我想问一下罚款能不能分期交")
    expect(user.locator(".msg.user .bubble").last).to_have_text("我想问一下罚款能不能分期交")
    expect(user.locator(".msg.typing")).to_have_count(0)
    expect(user.locator(".sys", has_text="预计等待")).to_have_count(1)  # not repeated per message

    # staff: the conversation is in the queue; take it over and reply
    agent_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    agent = agent_ctx.new_page()
    agent.goto(stack.url + "/staff/login")
    agent.fill("input[name=username]", AGENT)
    agent.fill("input[name=password]", PASSWORD)
    agent.click("button[type=submit]")
    queue_row = agent.locator("table.list tbody tr", has_text="罚款能不能分期交")
    expect(queue_row).to_have_count(1)
    queue_row.locator("a").first.click()
    expect(agent.locator(".turn.user .bubble").last).to_have_text("我想问一下罚款能不能分期交")
    agent.locator("#take").click()
    expect(agent.locator(".flash")).to_contain_text("已接管")
    agent.fill("#reply-text", REPLY)
    agent.locator("form.reply button[type=submit]").click()
    expect(agent.locator(".turn.agent .bubble").last).to_have_text(REPLY)

    # the user sees the agent
    expect(user.locator(".msg.agent .bubble").last).to_have_text(REPLY, timeout=20000)
    expect(user.locator("#handoff-bar")).to_contain_text("正在为您服务")

    # hand back: the assistant answers the next question as it would in a fresh conversation
    agent.locator("#handback").click()
    expect(agent.locator(".flash")).to_contain_text("已交还智能助手")
    expect(user.locator(".sys").last).to_contain_text("人工服务已结束", timeout=20000)
    expect(user.locator("#handoff-bar")).to_be_hidden()
    ask(user, "卖过期食品会被罚多少钱")
    expect(user.locator(".card-title", has_text="保质期")).to_be_visible(timeout=30000)
    expect(user.locator(".card-title", has_text="转接人工")).to_have_count(1)  # the first request only
    expect(user.locator("#handoff-bar")).to_be_hidden()
    queue = agent.request.get(stack.url + "/staff/api/queue").json()
    assert queue["queued"] == 0
    assert errors == []
    user_ctx.close()
    agent_ctx.close()
