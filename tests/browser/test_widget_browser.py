"""The widget, the embed script and the staff console in a real headless Chromium (the system's /usr/bin/chromium;
none is downloaded), against the real web front and a fake Rasa over HTTP (tests/browser/support.py).

What a phone user sees (390×844): the verdict first with the sections collapsed under bold labels, quick replies
wrapped under their own message and still working later, the newest message in view, the start of a long answer in
view; what a keyboard and a screen-reader user get (axe-core finds no serious or critical violation on the widget,
the embed page and the staff console); the embed panel (Esc, focus in and out, the unread badge).

The README's screenshots are written by these tests into docs/screenshots (SCREENSHOTS_DIR elsewhere, "" for none).
"""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    BUTTONS,
    CARD,
    CARD_TITLE,
    FOLLOW_UP,
    HARM_QUESTION,
    LONG_QUESTION,
    QUESTION,
    QUOTE,
    XSS,
    ask,
    assert_accessible,
    desktop,
    login,
    long_card,
    no_payloads,
    phone,
    screenshot,
    sender_of,
)

pytestmark = pytest.mark.browser

LAST_LINE = """() => {
  const view = document.getElementById('messages').getBoundingClientRect();
  const rows = document.querySelectorAll('#log .msg:not(.typing)');
  const row = rows[rows.length - 1];
  const lines = row.querySelectorAll('.bubble p');
  const range = document.createRange();
  range.selectNodeContents(lines[lines.length - 1]);
  const rects = range.getClientRects();
  const line = rects[rects.length - 1];
  const chips = [...row.querySelectorAll('.chip')].map(c => {
    const r = c.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, right: r.right, cut: c.scrollWidth > c.clientWidth + 1};
  });
  return {top: view.top, bottom: view.bottom, right: view.right, lineTop: line.top, lineBottom: line.bottom, chips};
}"""


def in_view(page: Page) -> dict:
    box = page.evaluate(LAST_LINE)
    assert box["top"] <= box["lineTop"] and box["lineBottom"] <= box["bottom"], box
    for chip in box["chips"]:
        assert not chip["cut"] and chip["right"] <= box["right"], box
    return box


def card_of(page: Page, title: str):
    return page.locator(".msg.bot").filter(has=page.locator(".card-title", has_text=title))


# ---------------------------------------------------------------------------------------------- the answer


def test_widget_conversation_cards_quick_replies_history_and_escaping(stack, browser):
    context = phone(browser)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(stack.url + "/")
    welcome = page.locator(".msg.bot").first
    expect(welcome.locator(".bubble")).to_contain_text("您好！我是合规通")
    expect(welcome.locator(".chip")).to_have_count(5)  # the suggestions belong to the welcome message

    # ask: typing indicator (and its words for a screen reader), then the card: verdict first, sections collapsed
    ask(page, QUESTION)
    expect(page.locator(".msg.user .bubble").last).to_have_text(QUESTION)
    expect(page.locator(".msg.typing")).to_be_visible()
    expect(page.locator("#live")).to_have_text("合规通正在输入…")
    card = card_of(page, CARD_TITLE)
    expect(card).to_be_visible()
    expect(page.locator(".msg.typing")).to_have_count(0)
    expect(card.locator(".verdict")).to_contain_text("五万元以上十万元以下罚款")
    expect(card.locator(".sec-label")).to_have_text(["违法行为", "合规建议", "能否免罚", "法律依据（2条原文）"])
    advice = card.locator(".sec-body", has_text="建立临期食品台账")
    expect(advice).to_be_hidden()
    card.locator("summary", has_text="合规建议").click()
    expect(advice).to_be_visible()
    quote = card.locator(".citation-quote", has_text=QUOTE)
    expect(quote).to_be_hidden()  # quotes stay behind their toggle
    card.locator("summary", has_text="法律依据").click()
    expect(quote).to_be_visible()
    expect(card.locator(".citation-ref").first).to_contain_text("《中华人民共和国食品安全法》第五十四条")
    expect(card.locator(".citation-version").first).to_have_text("（2021-04-29版）")
    expect(card.locator(".disclaimer")).to_contain_text("不构成法律意见")  # never collapsed
    expect(card.locator(".chip")).to_have_text([b["title"] for b in BUTTONS])
    expect(page.locator("#live")).to_contain_text(f"合规通说：{CARD_TITLE}")
    no_payloads(page)

    # tap a quick reply: its title is the user's bubble, its payload is sent and never shown
    card.locator(".chip", has_text="第一次被查，能不罚吗？").click()
    expect(page.locator(".msg.user .bubble").last).to_have_text("第一次被查，能不罚吗？")
    expect(page.locator(".msg.bot .bubble").last).to_have_text(FOLLOW_UP["text"])
    expect(page.locator(".msg.bot").last.locator(".chip")).to_have_text(["是第一次", "不是第一次"])
    sender = sender_of(page)
    assert stack.rasa.user_texts(sender) == [QUESTION, BUTTONS[0]["payload"]]
    no_payloads(page)

    # reload: the history comes back from the tracker, buttons with their messages, payloads hidden, no duplicates
    page.wait_for_timeout(2000)  # let the post-answer sync poll run first
    assert page.locator(".msg.user").count() == 2
    page.reload()
    expect(page.locator(".msg.user .bubble")).to_have_text([QUESTION, "第一次被查，能不罚吗？"])
    expect(page.locator(".card-title")).to_have_text([CARD_TITLE])
    expect(card_of(page, CARD_TITLE).locator(".chip")).to_have_count(3)
    expect(page.locator(".msg.bot .bubble").last).to_have_text(FOLLOW_UP["text"])
    expect(page.locator(".msg.bot").last.locator(".chip")).to_have_text(["是第一次", "不是第一次"])
    no_payloads(page)

    # markup is shown as text, in the user's bubble and in the bot's echo
    ask(page, XSS)
    expect(page.locator(".msg.user .bubble").last).to_have_text(XSS)
    expect(page.locator(".msg.bot .bubble").last).to_have_text(f"收到您的消息：{XSS}")
    assert page.locator("#messages img").count() == 0
    page.reload()
    expect(page.locator(".msg.user .bubble").last).to_have_text(XSS)
    page.wait_for_timeout(500)
    assert page.locator("img").count() == 0
    assert dialogs == [] and errors == []
    context.close()


def test_the_newest_message_stays_in_view_when_buttons_appear_on_a_phone(stack, browser):
    context = phone(browser)
    page = context.new_page()
    page.goto(stack.url + "/")
    expect(page.locator(".chip")).to_have_count(5)
    in_view(page)
    screenshot(page, "widget-welcome.png")
    ask(page, QUESTION)
    expect(card_of(page, CARD_TITLE).locator(".chip")).to_have_count(3)
    box = in_view(page)  # the card's last line (the disclaimer) and its buttons, above the composer
    assert all(c["bottom"] <= box["bottom"] for c in box["chips"]), box
    screenshot(page, "widget.png")
    card_of(page, CARD_TITLE).locator(".chip", has_text="第一次被查").click()
    expect(page.locator(".msg.bot").last.locator(".chip")).to_have_count(2)
    box = in_view(page)  # the assistant's question, then its buttons: both visible, nothing cut
    assert all(box["top"] <= c["top"] and c["bottom"] <= box["bottom"] for c in box["chips"]), box
    # a long label wraps inside the bubble's width instead of being cut with "…"
    stack.rasa.long_card = long_card()
    ask(page, LONG_QUESTION)
    long_answer = card_of(page, "信用修复：经营异常名录")
    expect(long_answer).to_be_visible()
    label = long_answer.locator(".chip").first
    assert label.evaluate("c => c.scrollWidth <= c.clientWidth + 1 && c.getBoundingClientRect().height > 40"), \
        label.text_content()
    context.close()


def test_a_long_answer_opens_at_its_start_and_folds_out(stack, browser):
    stack.rasa.long_card = long_card()
    context = phone(browser)
    page = context.new_page()
    page.goto(stack.url + "/")
    ask(page, QUESTION)
    expect(card_of(page, CARD_TITLE)).to_be_visible()
    ask(page, LONG_QUESTION)
    card = card_of(page, "信用修复：经营异常名录")
    expect(card).to_be_visible()
    expect(card.locator(".verdict")).to_contain_text("按您的情况")
    title_in_view = """t => { const v = document.getElementById('messages').getBoundingClientRect();
                          const r = t.getBoundingClientRect(); return r.top >= v.top && r.bottom <= v.bottom; }"""
    assert card.locator(".card-title").evaluate(title_in_view)
    height = card.locator(".bubble").evaluate("b => b.getBoundingClientRect().height")
    assert height < 844, height  # collapsed, the answer fits on one phone screen (it was 2,376 px)
    screenshot(page, "widget-long-collapsed.png")

    # every section folds out; the view stays where the reader is
    for summary in card.locator(".sec summary").all():
        summary.click()
    expect(card.locator(".citation-quote").first).to_be_visible()
    expect(card.locator(".sec-body").first).to_contain_text("登录国家企业信用信息公示系统补报")
    expanded = card.locator(".bubble").evaluate("b => b.getBoundingClientRect().height")
    assert expanded > 2 * height
    # "回到开头" appears on an answer taller than the view, and takes the reader (and the focus) to its title
    page.locator("#messages").evaluate("m => m.scrollTop = m.scrollHeight")
    assert not card.locator(".card-title").evaluate(title_in_view)
    card.get_by_role("button", name="回到开头（本条回答）").click()
    assert card.locator(".card-title").evaluate(title_in_view)
    expect(card.locator(".card-title")).to_be_focused()
    screenshot(page, "widget-long-expanded.png")  # the phone screen from the title, the first section open
    context.close()


def test_an_old_answers_buttons_still_work_after_later_turns(stack, browser):
    context = phone(browser)
    page = context.new_page()
    page.goto(stack.url + "/")
    ask(page, QUESTION)
    card = card_of(page, CARD_TITLE)
    expect(card.locator(".chip")).to_have_count(3)
    card.locator(".chip", has_text="第一次被查").click()
    question = page.locator(".msg.bot").filter(has_text=FOLLOW_UP["text"])
    expect(question.locator(".chip")).to_have_count(2)
    question.get_by_role("button", name="是第一次", exact=True).click()
    expect(page.locator(".msg.bot .bubble").last).to_have_text(HARM_QUESTION["text"])
    # the answered question keeps its buttons, the choice marked, no longer offered
    expect(question.locator(".chip.chosen")).to_have_text("是第一次")
    expect(question.get_by_role("button", name="是第一次（已选）")).to_have_attribute("aria-disabled", "true")
    expect(question.locator(".chip", has_text="不是第一次")).to_have_attribute("aria-disabled", "true")
    sender = sender_of(page)
    sent = len(stack.rasa.user_texts(sender))
    question.locator(".chip", has_text="不是第一次").click(force=True)
    page.wait_for_timeout(800)
    assert len(stack.rasa.user_texts(sender)) == sent  # an answered question's reply sends nothing

    # two turns later, the first card's buttons still work: 看法条原文 opens that card's own quotes ...
    quote = card.locator(".citation-quote", has_text=QUOTE)
    expect(quote).to_be_hidden()
    card.locator(".chip", has_text="看法条原文").click()
    expect(quote).to_be_visible()
    expect(card.locator(".basis summary")).to_be_focused()
    assert len(stack.rasa.user_texts(sender)) == sent
    # ... and a button that asks something is sent again, as tapped
    card.locator(".chip", has_text="第一次被查").click()
    expect(page.locator(".msg.user .bubble").last).to_have_text("第一次被查，能不罚吗？")
    expect(page.locator(".msg.bot .bubble").last).to_have_text(FOLLOW_UP["text"])
    assert stack.rasa.user_texts(sender)[-1] == BUTTONS[0]["payload"]
    no_payloads(page)
    context.close()


def test_copy_markdown_emphasis_and_the_new_message_button(stack, browser):
    context = phone(browser)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page = context.new_page()
    page.goto(stack.url + "/")
    ask(page, QUESTION)
    card = card_of(page, CARD_TITLE)
    card.get_by_role("button", name="复制这条回答").click()
    expect(card.locator(".tool").first).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == CARD["text"]

    # an agent's message arrives (by polling) while the user reads further up: a button, not a jump
    ask(page, "转人工")
    expect(page.locator("#handoff-bar")).to_contain_text("现在没有工作人员在线")  # no staff console is open
    page.locator("#messages").evaluate("m => m.scrollTop = 0")
    stack.deliver(sender_of(page), "您好，这个问题**需要先补办健康证**，其余可以整改后申请从轻。", agent="王芳")
    expect(page.locator("#jump")).to_be_visible(timeout=15000)
    assert page.locator("#messages").evaluate("m => m.scrollTop") == 0
    page.locator("#jump").click()
    agent = page.locator(".msg.agent").last
    expect(agent.locator("strong")).to_have_text("需要先补办健康证")
    expect(agent.locator(".bubble")).to_have_text("您好，这个问题需要先补办健康证，其余可以整改后申请从轻。")
    expect(page.locator("#jump")).to_be_hidden()
    expect(agent.locator(".bubble")).to_be_in_viewport()
    context.close()


def test_a_new_conversation_starts_empty_and_stays(stack, browser):
    context = phone(browser)
    page = context.new_page()
    page.goto(stack.url + "/")
    ask(page, QUESTION)
    expect(card_of(page, CARD_TITLE)).to_be_visible()
    old = sender_of(page)
    new_button = page.get_by_role("button", name="新对话", exact=True)
    new_button.click()
    expect(page.locator("#new-confirm")).to_be_visible()
    page.keyboard.press("Escape")  # changed my mind
    expect(page.locator("#new-confirm")).to_be_hidden()
    expect(new_button).to_be_focused()
    new_button.click()
    page.get_by_role("button", name="开始新对话", exact=True).click()
    expect(page.locator(".msg.user")).to_have_count(0)
    expect(page.locator(".msg.bot .bubble")).to_contain_text(["您好！我是合规通"])
    expect(page.locator("#live")).to_have_text("已开始新对话")
    new = sender_of(page)
    assert new != old and stack.rasa.user_texts(old) == [QUESTION]
    page.reload()
    expect(page.locator(".msg.bot .bubble").first).to_contain_text("您好！我是合规通")
    expect(page.locator(".msg.user")).to_have_count(0)
    ask(page, "第二段对话的问题")
    expect(page.locator(".card-title")).to_have_count(1)
    assert stack.rasa.user_texts(new) == ["第二段对话的问题"]
    context.close()


# ---------------------------------------------------------------------------------------------- accessibility


def test_the_widget_for_keyboard_and_screen_reader_users(stack, browser):
    context = phone(browser, bypass_csp=True)
    page = context.new_page()
    page.route("**/api/session", lambda route: route.fulfill(status=503, content_type="application/json",
                                                              body=json.dumps({"error": "合规通暂时无法连接"})))
    page.goto(stack.url + "/")
    retry = page.get_by_role("button", name="点此重试")  # a real button, not a clickable text
    expect(retry).to_be_visible()
    assert_accessible(page, "widget, start-up failed")
    page.unroute("**/api/session")
    retry.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot .bubble").first).to_contain_text("您好！我是合规通")

    # the first-load placeholder is not clipped; the input shows where the focus is
    assert page.locator("#input").evaluate("t => t.scrollHeight <= t.clientHeight + 1")
    page.locator("#input").focus()
    assert page.locator("#input").evaluate("t => getComputedStyle(t).outlineStyle") != "none"
    # who says what, in words: headings a screen reader can jump between; the list itself is not a live region
    assert page.locator("#messages").get_attribute("aria-live") is None
    assert page.locator("#log").get_attribute("aria-live") is None
    expect(page.get_by_role("heading", level=1)).to_have_text("合规通")
    expect(page.get_by_role("heading", name="合规通说")).to_have_count(1)

    # a quick reply by keyboard: focus moves on to where the conversation continues, not to the page body
    page.locator(".chip", has_text="第一次被查能不罚吗").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot .bubble").last).to_have_text(FOLLOW_UP["text"])
    expect(page.locator(".msg.bot").last.locator(".chip").first).to_be_focused()
    expect(page.locator("#live")).to_have_text(f"合规通说：{FOLLOW_UP['text']}有2个快捷回复")
    page.keyboard.press("Enter")  # 是第一次
    expect(page.locator(".msg.bot .bubble").last).to_have_text(HARM_QUESTION["text"])
    expect(page.locator(".msg.bot").last.locator(".chip").first).to_be_focused()
    expect(page.get_by_role("heading", name="我说")).to_have_count(2)

    ask(page, QUESTION)
    card = card_of(page, CARD_TITLE)
    expect(card.get_by_role("heading", level=3)).to_have_text(CARD_TITLE)
    card.locator("summary", has_text="合规建议").click()
    card.locator("summary", has_text="法律依据").click()
    assert_accessible(page, "widget, phone, answer expanded")
    context.close()

    context = desktop(browser, bypass_csp=True)
    page = context.new_page()
    page.goto(stack.url + "/")
    expect(page.locator(".chip")).to_have_count(5)
    assert_accessible(page, "widget, desktop, welcome")
    context.close()


def test_embed_script_opens_the_widget_with_focus_esc_and_an_unread_badge(stack, browser):
    # the host page is another site (localhost vs 127.0.0.1): the iframe gets no SameSite cookie, only its token
    stack.rasa.host_page = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>某行业协会</title>'
                            f'<main><h1>某行业协会</h1><p>某行业协会网站</p><a href="#top">回到顶部</a></main>'
                            f'<script src="{stack.url}/embed.js" data-remember="1" async></script></html>')
    context = desktop(browser, bypass_csp=True)
    page = context.new_page()
    page.goto(stack.rasa_url.replace("127.0.0.1", "localhost") + "/host.html")
    button = page.get_by_role("button", name="在线咨询")
    expect(button).to_be_visible()
    assert_accessible(page, "embed host page, closed")

    # opened from the keyboard: the focus goes into the panel, on the input
    button.focus()
    page.keyboard.press("Enter")
    frame = page.frame_locator("iframe[title='合规通在线咨询']")
    expect(frame.locator(".msg.bot .bubble").first).to_contain_text("您好！我是合规通")
    expect(frame.locator("#input")).to_be_focused()
    expect(page.locator("iframe[title='合规通在线咨询']")).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "true")
    ask(frame, QUESTION)
    expect(frame.locator(".card-title")).to_have_text([CARD_TITLE])
    widget = page.frame(url=re.compile(r"embed=1"))
    assert_accessible(page, "embed host page, open", {"exclude": [["iframe"]]})
    assert_accessible(widget, "widget inside the embed panel")
    screenshot(page, "embed.png")

    # Esc inside the panel closes it, and the focus comes back to the button
    page.keyboard.press("Escape")
    expect(page.locator("iframe[title='合规通在线咨询']")).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")

    # an agent answers while the panel is closed: a count on the button, in its name too
    sender, = [s for s in stack.rasa.trackers if stack.rasa.user_texts(s) == [QUESTION]]
    button.click()
    ask(frame, "转人工")
    expect(frame.locator("#handoff-bar")).to_contain_text("现在没有工作人员在线")
    frame.locator("#chat-close").click()
    expect(page.locator("iframe[title='合规通在线咨询']")).to_be_hidden()
    stack.deliver(sender, "您好，我是热线工作人员王芳。", agent="王芳")
    expect(page.get_by_role("button", name="在线咨询（1条新消息）")).to_be_visible(timeout=15000)
    page.get_by_role("button", name="在线咨询（1条新消息）").click()
    expect(frame.locator(".msg.agent .bubble").last).to_have_text("您好，我是热线工作人员王芳。")
    expect(page.get_by_role("button", name="在线咨询")).to_be_visible()
    page.keyboard.press("Escape")

    # a new visit to the host page: the conversation is still there, even in a browser that gives the iframe
    # neither its cookie nor storage (headless Chromium here: the host keeps the token, data-remember)
    page.reload()
    page.get_by_role("button", name="在线咨询").click()
    frame = page.frame_locator("iframe[title='合规通在线咨询']")
    expect(frame.locator(".card-title")).to_have_text([CARD_TITLE, "正在为您转接人工"])
    expect(frame.locator(".msg.user .bubble")).to_have_text([QUESTION, "转人工"])
    context.close()


# ---------------------------------------------------------------------------------------------- errors


def test_widget_says_clearly_when_the_server_is_unreachable_or_busy(stack, browser):
    context = phone(browser)
    page = context.new_page()
    page.goto(stack.url + "/")
    expect(page.locator(".chip").first).to_be_visible()

    page.route("**/api/messages", lambda route: route.fulfill(
        status=429, content_type="application/json", headers={"Retry-After": "7"},
        body=json.dumps({"error": "发送太频繁，请稍后再试", "retry_after": 6.2})))
    ask(page, QUESTION)
    expect(page.locator(".sys.error").last).to_have_text("发送太频繁，请 7 秒后再试。")
    expect(page.locator(".msg.user.failed .retry")).to_have_text("发送失败，点此重发")

    page.unroute("**/api/messages")
    page.route("**/api/messages", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": "合规通暂时无法连接，请稍后再试；紧急问题可拨打12345政务服务便民热线。"})))
    ask(page, "第二个问题")
    expect(page.locator(".sys.error").last).to_contain_text("合规通暂时无法连接")

    page.unroute("**/api/messages")
    page.route("**/api/messages", lambda route: route.fulfill(status=502, body="<html>Bad gateway</html>"))
    ask(page, "第三个问题")
    expect(page.locator(".sys.error").last).to_contain_text("合规通暂时无法连接")

    page.unroute("**/api/messages")
    page.route("**/api/messages", lambda route: route.abort("connectionrefused"))
    ask(page, "第四个问题")
    expect(page.locator(".sys.error").last).to_have_text("网络连接失败，请检查网络后重试。")

    # back online: resending the first one works
    page.unroute("**/api/messages")
    page.locator(".msg.user.failed .retry").first.click()
    expect(page.locator(".card-title")).to_have_text([CARD_TITLE])
    context.close()


def test_a_signed_link_opens_its_conversation(stack, browser):
    import time

    from bot.web.links import sign_sender

    stack.rasa.tracker("reg-demo")["events"].append(
        {"event": "bot", "text": "您的企业已完成登记，这是为您整理的经营合规要点。", "timestamp": time.time(),
         "metadata": {"source": "registration"}, "data": {}})
    context = phone(browser)
    page = context.new_page()
    page.goto(f"{stack.url}/?t={sign_sender(stack.settings.secret_key, 'reg-demo', 600)}")
    assert page.url == stack.url + "/"
    expect(page.locator(".msg.bot .bubble")).to_have_text(["您的企业已完成登记，这是为您整理的经营合规要点。"])
    page.goto(f"{stack.url}/?t=forged.token")
    expect(page.locator(".notice")).to_contain_text("链接已过期或无效")
    assert "t=" not in page.url
    expect(page.locator(".msg.bot .bubble")).to_have_count(1)  # still the same conversation
    context.close()


# ---------------------------------------------------------------------------------------------- with a human


def test_handoff_from_the_widget_to_an_agent_and_back_with_a_rating(stack, browser):
    stack.add_staff("wangfang", "王芳")
    staff_ctx = desktop(browser, bypass_csp=True)
    agent = staff_ctx.new_page()
    dialogs: list[str] = []
    agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    agent.goto(stack.url + "/staff/")
    assert "/staff/login" in agent.url
    assert_accessible(agent, "staff console, log-in page")
    agent.fill("input[name=username]", "wangfang")
    agent.fill("input[name=password]", "wrong password")
    agent.click("button[type=submit]")
    expect(agent.locator("#login-error")).to_contain_text("用户名或密码错误")
    agent.fill("input[name=password]", "browser test password")
    agent.click("button[type=submit]")
    expect(agent.locator("h2").first).to_contain_text("排队等待人工的对话")  # the console is open: on duty

    user_ctx = phone(browser, bypass_csp=True)
    user = user_ctx.new_page()
    user.goto(stack.url + "/")
    ask(user, QUESTION)
    expect(user.locator(".card-title")).to_have_text([CARD_TITLE])
    card_of(user, CARD_TITLE).locator(".chip", has_text="转人工").click()
    expect(user.locator("#handoff-bar")).to_contain_text("已为您转接人工客服")
    expect(user.locator("form.leave")).to_have_count(0)  # someone is on duty: no leave-a-message form
    ask(user, f"我的电话是13812345678，{XSS}")
    # the queue tells the user their place once (bot/web/handoff.py), not a notice per message
    expect(user.locator(".sys", has_text="您排在第")).to_have_count(1)

    agent.reload()
    queue_row = agent.locator("table.list tbody tr").first
    expect(queue_row).to_contain_text("138****5678")  # masked in the list
    expect(agent.locator("#queue-badge")).to_have_text("1")
    assert "13812345678" not in agent.content()
    assert_accessible(agent, "staff console, dashboard")

    queue_row.locator("a", has_text="查看").click()
    expect(agent.locator(".turn.user .bubble").last).to_have_text(f"我的电话是13812345678，{XSS}")
    # topics in words staff use, not the assistant's internal names
    tags = agent.locator(".turn.bot .meta .tag").all_text_contents()
    assert "合规问答" in tags and "转人工" in tags and "compliance" not in tags and "handoff" not in tags
    agent.locator("#take").click()
    expect(agent.locator(".flash")).to_contain_text("已接管")

    # the user sees the agent's name, then "王芳正在输入" while the reply is being written
    expect(user.locator("#handoff-bar")).to_contain_text("人工客服 王芳 正在为您服务", timeout=15000)
    agent.locator("#reply-text").press_sequentially("您好，罚款可以申请延期")
    expect(user.locator(".msg.typing")).to_contain_text("王芳正在输入", timeout=15000)
    expect(user.locator("#live")).to_have_text("人工客服王芳正在输入…")
    screenshot(user, "widget-takeover.png")
    agent.locator("#reply-text").press_sequentially("或分期缴纳，我把办理材料发给您。")
    agent.locator("form.reply button[type=submit]").click()
    expect(agent.locator(".turn.agent .bubble").last).to_have_text("您好，罚款可以申请延期或分期缴纳，我把办理材料发给您。")
    card = agent.locator(".turn.bot").filter(has=agent.locator(".card-title", has_text=CARD_TITLE))
    expect(card.locator(".sec-label")).to_have_text(["违法行为", "合规建议", "能否免罚", "法律依据"])
    card.locator("summary", has_text="法律依据原文").click()
    expect(card.locator("blockquote", has_text=QUOTE)).to_be_visible()
    assert agent.locator(".transcript img").count() == 0 and dialogs == []
    assert_accessible(agent, "staff console, conversation")
    screenshot(agent, "staff.png", full_page=True)

    # the user sees the agent's reply by polling, with the agent's name; the typing indicator has gone
    expect(user.locator(".msg.agent .bubble").last).to_have_text(
        "您好，罚款可以申请延期或分期缴纳，我把办理材料发给您。", timeout=15000)
    expect(user.locator(".msg.agent .who").last).to_have_text("人工客服 · 王芳")
    expect(user.get_by_role("heading", name="人工客服王芳说").last).to_be_attached()
    expect(user.locator(".msg.typing")).to_have_count(0, timeout=10000)
    assert_accessible(user, "widget during a takeover")

    # hand back: the user is told, and asked to rate the human session
    agent.locator("#handback").click()
    expect(agent.locator(".flash")).to_contain_text("已交还智能助手")
    conversation_url = agent.url
    agent.goto(stack.url + "/staff/conversations")  # away from a page that reloads itself when the user writes
    expect(user.locator(".sys").last).to_contain_text("人工服务已结束", timeout=15000)
    expect(user.locator("#handoff-bar")).to_be_hidden()
    rating = user.locator("form.rating")
    expect(rating).to_be_visible(timeout=15000)
    assert_accessible(user, "widget, rating form")
    rating.get_by_role("button", name="提交评价").click()
    expect(rating.locator(".form-error")).to_have_text("请先选择一项评价。")
    rating.get_by_label("满意", exact=True).check()
    rating.get_by_label("意见或建议（选填）").fill("王芳讲得很清楚，回电号码13812345678")
    rating.get_by_role("button", name="提交评价").click()
    expect(user.locator(".sys").last).to_have_text("感谢您的评价！")
    expect(user.locator("form.rating")).to_have_count(0)
    user.reload()
    expect(user.locator(".msg.agent")).to_have_count(2)
    user.wait_for_timeout(500)
    expect(user.locator("form.rating")).to_have_count(0)  # asked once
    ask(user, QUESTION)
    expect(user.locator(".card-title")).to_have_count(3)

    # staff see the rating on the conversation and on 留言与评价, comments masked
    agent.goto(conversation_url)
    expect(agent.locator("#user-ratings li").first).to_contain_text("满意")
    expect(agent.locator("#user-ratings li").first).to_contain_text("138****5678")
    agent.get_by_role("link", name="留言与评价").click()
    expect(agent.locator("#ratings tbody tr").first).to_contain_text("满意")
    expect(agent.locator("#ratings tbody tr").first).to_contain_text("王芳")
    assert "13812345678" not in agent.content()
    assert_accessible(agent, "staff console, messages and ratings")
    user_ctx.close()
    staff_ctx.close()


def test_leave_a_message_when_nobody_is_on_duty(stack, browser):
    user_ctx = phone(browser, bypass_csp=True)
    user = user_ctx.new_page()
    user.goto(stack.url + "/")
    ask(user, "工地摔伤了工人老板要坐牢吗")
    expect(user.locator(".card-title")).to_have_count(1)
    ask(user, "转人工")
    expect(user.locator("#handoff-bar")).to_contain_text("现在没有工作人员在线")
    form = user.locator("form.leave")
    expect(form).to_be_visible()
    expect(form.get_by_label("留言内容")).to_have_value("工地摔伤了工人老板要坐牢吗")  # the last real question
    assert_accessible(user, "widget, leave-a-message form")
    screenshot(user, "widget-leave-message.png")
    form.get_by_label("手机号或带区号的固定电话").fill("12345")
    form.get_by_role("button", name="提交留言").click()
    expect(form.locator(".form-error")).to_contain_text("电话号码格式不对")
    expect(form.get_by_label("手机号或带区号的固定电话")).to_be_focused()
    form.get_by_label("手机号或带区号的固定电话").fill("138 1234 5678")
    form.get_by_label("怎么称呼您（选填）").fill("陈先生")
    form.get_by_role("button", name="提交留言").click()
    # the queue's own notice may follow it: find the confirmation by its words
    expect(user.locator(".sys", has_text="已收到您的留言")).to_have_text(
        ["已收到您的留言。工作人员上班后会拨打 138****5678 联系您。"])
    user.reload()
    expect(user.locator(".sys", has_text="您已留言")).to_have_text(["您已留言（138****5678），工作人员上班后会联系您。"])
    expect(user.locator("form.leave")).to_have_count(0)

    stack.add_staff("lifang", "李芳")
    staff_ctx = desktop(browser, bypass_csp=True)
    staff = staff_ctx.new_page()
    login(staff, stack.url, "lifang", "/staff/messages")
    row = staff.locator("#left-messages tbody tr").first
    expect(row).to_contain_text("138****5678")
    expect(row).to_contain_text("陈先生")
    expect(row).to_contain_text("工地摔伤了工人老板要坐牢吗")
    expect(staff.locator("#messages-badge")).to_have_text("1")
    assert "13812345678" not in staff.content()
    assert_accessible(staff, "staff console, left messages")
    row.get_by_role("button", name="显示号码").click()
    expect(row.locator(".phone")).to_have_text("13812345678")
    row.get_by_role("button", name="标记已处理").click()
    expect(staff.locator(".flash")).to_contain_text("已标记为处理完毕")
    expect(staff.locator("#left-messages tbody tr").first).to_contain_text("已处理")
    expect(staff.locator("#left-messages tbody tr").first).to_contain_text("lifang 查看过")
    user_ctx.close()
    staff_ctx.close()


def test_agent_assist_in_the_browser(stack, browser):
    from bot.web.staff import assist

    class Hit:
        record_id, type, title, score, matched = "market.food.expired_food", "compliance_item", "销售超过保质期的食品", 1.35, ()

    class Searcher:
        kb = None

        def search(self, q, k=5):
            return [Hit()]

    stack.front[assist.KB_KEY]["searcher"] = Searcher()
    stack.add_staff("lifang", "李芳")
    context = desktop(browser, bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page = context.new_page()
    login(page, stack.url, "lifang", "/staff/assist")
    assert page.url.endswith("/staff/assist")
    page.fill("#question", QUESTION)
    page.click("#assist-submit")
    expect(page.locator("#answers .card-title")).to_have_text(CARD_TITLE)
    expect(page.locator("#answers .sec-label")).to_have_text(["违法行为", "合规建议", "能否免罚", "法律依据"])
    expect(page.locator("#hits li b")).to_have_text(["销售超过保质期的食品"])
    expect(page.locator("#hits .score")).to_contain_text("合规清单")  # not "compliance_item"
    page.click("#copy-answer")
    expect(page.locator("#copy-answer")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == CARD["text"]
    assert_accessible(page, "staff console, agent assist")

    # the assistant asks back: staff ask the caller and answer with its buttons, which continue the same question
    page.fill("#question", "第一次被查能不罚吗")
    page.click("#assist-submit")
    expect(page.locator("#answers .asks")).to_have_text("智能助手需要先问来电人：")
    expect(page.locator("#answers .answer").last).to_contain_text(FOLLOW_UP["text"])
    page.get_by_role("button", name="是第一次", exact=True).click()
    expect(page.locator("#answers .caller-said")).to_have_text("来电人：是第一次")
    expect(page.locator("#answers .answer").last).to_contain_text(HARM_QUESTION["text"])
    page.fill("#follow-text", "没有造成后果")
    page.click("#assist-follow button[type=submit]")
    expect(page.locator("#answers .caller-said").last).to_have_text("来电人：没有造成后果")
    expect(page.locator("#answers .card-title").last).to_have_text(CARD_TITLE)
    senders = {s for s in stack.rasa.trackers if s.startswith("assist-lifang-")}
    assert len(senders) == 2  # one throwaway conversation per question, answers continue it
    follow = [s for s in senders if len(stack.rasa.user_texts(s)) == 3]
    assert follow and stack.rasa.user_texts(follow[0]) == ["第一次被查能不罚吗", FOLLOW_UP["buttons"][0]["payload"],
                                                          "没有造成后果"]
    assert_accessible(page, "staff console, agent assist with a follow-up")
    context.close()
