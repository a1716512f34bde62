"""From a question to a knowledge answer, a "which of these two", or an honest decline.

The actions for compliance, credit-repair and criminal-risk questions and for out-of-scope and unclear messages
all go through ``decide_question``: retrieval over every record, then knowledge/answering.decide with what the NLU
made of the message. A decline never shows records: it says the assistant does not cover this, names where to go
for this kind of question, and offers a person.
"""
from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk import Tracker

from actions.cards import Card, button
from actions.kb import get_kb, get_searcher
from knowledge.answering import Decision, Referral, decide, referral_for

OUT_OF_SCOPE_LINE = ("合规通解答经营合规（市场监管、劳动用工、消防、文旅经营的违法行为和处罚）、首违不罚、诉讼费和缓减免、"
                     "纠纷去哪解决、信用修复、企业刑事风险等问题。")


def area_of(record_id: str) -> str:
    """The area two records must share to compete: a compliance item's domain, else its id's first part."""
    rec = get_kb().records.get(record_id)
    return getattr(rec, "domain", None) or record_id.split(".")[0]


def decide_question(tracker: Tracker, question: str, types: Sequence[str] | None = None,
                    hint_ids: Sequence[str] = ()) -> Decision:
    hits = get_searcher().search(question, k=6, types=types, boost_ids=hint_ids) if question else []
    latest = tracker.latest_message or {}
    ranking = latest.get("intent_ranking") or ([latest["intent"]] if latest.get("intent") else [])
    return decide(question, hits, ranking, area_of=area_of)


def decline_card(question: str, referral: Referral | None = None, in_scope_kind: bool = False) -> Card:
    """Outside what the assistant covers (or not in its knowledge base yet): say so and name where to go."""
    referral = referral or referral_for(question)
    if in_scope_kind:
        title = "这个问题我的知识库里还没有可靠的答案"
        first = "我没有找到能准确回答这个问题的条目，不想拿不相干的内容凑数。"
    else:
        title = "这个问题不在合规通的服务范围内"
        first = "这个问题超出了我能可靠解答的范围。" + OUT_OF_SCOPE_LINE
    return Card(
        topic="out_of_scope",
        title=title,
        body=[first, f"{referral.label}建议咨询：{referral.channel}。",
              "也可以转人工，由热线工作人员帮您看看。"],
        buttons=[button("转人工", "handoff"), button("看看我能做什么", "help")],
        # an in-scope question the knowledge base cannot answer is a content gap: staff see it in 未答问题
        data={"declined": True, "referral": referral.id, "unanswered": in_scope_kind},
        disclaimer=False,
    )


def clarify_card(decision: Decision, intent: str, question: str) -> Card:
    """Two records of the same area compete: ask which one, with a way out."""
    from actions.compliance import record_topic

    a, b = decision.hits[:2]
    return Card(
        topic=record_topic(get_kb().records[a.record_id]),
        title="您问的是哪一种情况？",
        body=[f"1. {a.title}", f"2. {b.title}"],
        kb_ids=[a.record_id, b.record_id],
        buttons=[button(a.title, intent, kb_id=a.record_id), button(b.title, intent, kb_id=b.record_id),
                 button("都不是，转人工", "handoff")],
        data={"question": question, "candidates": [a.title, b.title]},
        disclaimer=False,
    )
