"""A fact given outside any form ("那100万呢", "在柳州") continues the topic it belongs to."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, latest_text
from actions.kb import get_searcher
from knowledge.search import resolve

TOPIC_FORM = {"litigation_fee": "fee_form", "first_violation": "exemption_form", "fee_relief": "relief_form",
              "mediation": "mediation_form"}
# which entities belong to which form (a fact opens the form it belongs to)
FORM_ENTITIES = {
    "fee_form": {"amount", "case_type", "procedure", "ending", "application_type", "procedure_hint", "ending_hint"},
    "exemption_form": {"first_violation", "harm", "corrected", "minor_violation", "mitigating", "refunded"},
    "relief_form": {"party_type", "circumstance"},
    "mediation_form": {"dispute_type", "region", "foreign", "amount"},
}
HINTS = {"procedure_hint": "procedure", "ending_hint": "ending"}


class ActionHandleInform(Action):
    def name(self) -> str:
        return "action_handle_inform"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
        last_topic = (tracker.get_slot("last_answer") or {}).get("topic")
        events: list = []
        for hint, slot in HINTS.items():
            values = entity_values(tracker, hint)
            if values and last_topic == "litigation_fee" and not entity_values(tracker, slot):
                events.append(SlotSet(slot, values[0]))
        form = TOPIC_FORM.get(last_topic)
        if form and entities & FORM_ENTITIES[form]:
            return events + [FollowupAction(form)]
        if entities & {"violation"}:
            return [FollowupAction("action_answer_compliance")]
        if entities & {"credit_issue"}:
            return [FollowupAction("action_credit_repair")]
        if entities & {"risk_area", "criminal_risk"}:
            return [FollowupAction("action_criminal_risk")]
        for name, ents in FORM_ENTITIES.items():  # no topic to continue: the first form the fact belongs to
            if entities & (ents - set(HINTS)):
                return events + [FollowupAction(name)]
        if entities & {"industry", "domain"}:
            return [FollowupAction("action_browse_compliance")]
        question = latest_text(tracker)
        if question and len(question) >= 4:
            res = resolve(get_searcher(), question, types=["compliance_item"])
            if res.best and res.confident:
                return [FollowupAction("action_answer_compliance")]
        dispatcher.utter_message(response="utter_help")
        return []
