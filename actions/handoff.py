"""Human handoff: mark the conversation for a hotline agent and pause the bot until it is handed back.

Rasa's ConversationPaused keeps recording the user's messages without answering them; the web front shows the
conversation in the staff queue and resumes it (ConversationResumed) when the agent hands back.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        last = tracker.get_slot("last_answer") or {}
        card = Card(
            topic="handoff",
            title="正在为您转接人工",
            body=["已通知热线工作人员，请稍候，工作人员会在这里直接回复您；在此期间智能助手暂停回答。",
                  "如遇非工作时间，也可以拨打12345政务服务便民热线或12348公共法律服务热线。"],
            kb_ids=list(last.get("kb_ids") or []),
            citations=[],
            data={"handoff": True, "last_topic": last.get("topic")},
            disclaimer=False,
        )
        card.send(dispatcher)
        return [ConversationPaused()]
