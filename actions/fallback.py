"""Out of scope, "why/依据", and the two-stage fallback's "did you mean" with the likely topics as buttons."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import decline_card
from actions.cards import Card, basis_line, button, citations_of_ids
from actions.common import latest_text

INTENT_LABELS = {
    "ask_compliance": "经营行为是否违法、怎么罚",
    "browse_compliance": "看常见违法行为清单",
    "ask_exemption": "首违不罚 / 能否免罚",
    "ask_litigation_fee": "诉讼费计算",
    "ask_fee_relief": "诉讼费缓交减交免交",
    "ask_mediation": "纠纷去哪调解",
    "ask_credit_repair": "信用修复",
    "ask_criminal_risk": "刑事风险提示",
    "ask_litigation_info": "涉诉信息与贷款",
    "handoff": "转人工",
}
QUERY_INTENTS = {"ask_compliance", "ask_credit_repair", "ask_criminal_risk", "ask_exemption"}


class ActionOutOfScope(Action):
    """Outside the assistant's scope: say so, name where this kind of question goes, offer a person."""

    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        return decline_card(latest_text(tracker)).send(dispatcher)


class ActionExplainBasis(Action):
    def name(self) -> str:
        return "action_explain_basis"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        last = tracker.get_slot("last_answer") or {}
        citations = citations_of_ids(last.get("kb_ids") or []) if last.get("cited", True) else []
        if not citations:
            dispatcher.utter_message(
                text="我还没有给出需要依据的回答。先问一个问题吧，例如“没有明码标价会怎么罚”，回答里会写明法律依据。",
                json_message={"topic": "smalltalk", "kb_ids": [], "citations": []},
            )
            return []
        body = [f"上一条回答“{last.get('title', '')}”依据的法条原文："]
        for c in citations:
            body.append(f"《{c['law']}》{c['article']}（{c['version']}版）：“{c['quote']}”")
        card = Card(topic=last.get("topic") or "compliance", title="法律依据原文", body=body,
                    kb_ids=list(last.get("kb_ids") or []), citations=citations)
        dispatcher.utter_message(text=card.text().replace("法律依据：" + basis_line(citations) + "\n", ""),
                                 json_message=card.custom())
        return []


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: offer the likely topics (never shown as raw /intent text)."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        ranking = tracker.latest_message.get("intent_ranking") or []
        question = latest_text(tracker)
        top = [r["name"] for r in ranking if r.get("name") in INTENT_LABELS][:3]
        buttons = []
        for intent in top:
            entities = {"query": question} if intent in QUERY_INTENTS and question else {}
            buttons.append(button(INTENT_LABELS[intent], intent, **entities))
        if "handoff" not in top:
            buttons.append(button("都不是，转人工", "handoff"))
        dispatcher.utter_message(
            text="抱歉，我不太确定您想问哪方面，是下面这些吗？",
            buttons=buttons,
            json_message={"topic": "smalltalk", "kb_ids": [], "citations": [], "data": {"fallback": True}},
        )
        return []


class ActionDefaultAskRephrase(Action):
    """Second stage of the two-stage fallback: ask to rephrase, with the menu."""

    def name(self) -> str:
        return "action_default_ask_rephrase"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        dispatcher.utter_message(
            text="抱歉，我还是没理解。能换个说法吗？比如说清楚做了什么事、在哪个行业。也可以点下面的服务或转人工。",
            buttons=[button(label, intent) for intent, label in list(INTENT_LABELS.items())[:6]]
            + [button("转人工", "handoff")],
            json_message={"topic": "smalltalk", "kb_ids": [], "citations": []},
        )
        return []


class ActionDefaultFallback(Action):
    """When nothing fits at all: say so and offer a human — never silence."""

    def name(self) -> str:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        from rasa_sdk.events import UserUtteranceReverted

        dispatcher.utter_message(
            text="抱歉，这个问题我暂时答不好。您可以换个说法，或发送“转人工”由热线工作人员帮您。",
            buttons=[button("转人工", "handoff"), button("看看我能做什么", "help")],
            json_message={"topic": "smalltalk", "kb_ids": [], "citations": []},
        )
        return [UserUtteranceReverted()]
