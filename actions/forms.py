"""Shared behaviour of the four forms: facts first, one question only when needed, help after failed answers.

``AnswerFirstForm`` is the validation action every form uses.  On each turn it
1. reads every fact the message states or implies for *any* slot of the form (actions/facts.py), not only the
   slot it asked for — "起诉金额1.2亿，普通程序" fills amount and procedure at once; a correction replaces;
2. at activation by a new question on another topic, forgets what an earlier conversation left in the form's
   slots (a fine of 五千 asked about before is not the amount of a lawsuit);
3. validates every value it keeps (``validate_<slot>``: types, bounds, a clear message for what it refuses);
4. asks for the first slot in ``required_slots`` that is still empty — the registry's ``asks`` narrowed by the
   form (a labour case needs no amount) — or for nothing, and the form's answer states what it assumed.
The tables (slots, topics, help texts) come from the registry, form_registry.yml.
"""
from __future__ import annotations

import inspect
from abc import abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.cards import button
from actions.common import first_entity, latest_intent
from actions.facts import facts_of_message
from actions.registry import SKIP, registry

STOP_OFFER = "要不要先停下？"
REQUESTED = "requested_slot"


def times_asked(tracker: Tracker, slot: str) -> int:
    """How often the active form has asked for ``slot`` since it was activated."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") and event.get("name") != "action_two_stage_fallback":
            break
        if event.get("event") == "slot" and event.get("name") == REQUESTED and event.get("value") == slot:
            count += 1
    return count


def declined(tracker: Tracker) -> str | None:
    """The slot the user has just said they do not know ("不知道" to the amount), if its registry allows that."""
    slot = tracker.get_slot(REQUESTED)
    spec = registry().slots.get(slot or "")
    if spec and spec.answers.get(latest_intent(tracker)) == SKIP:
        return slot
    return None


class AnswerFirstForm(FormValidationAction):
    """Validation action of a registry form: facts first, then at most the one question that is needed."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form> (abstract, so that the action server registers the forms, not this base)."""

    def is_activation(self, tracker: Tracker) -> bool:
        return (tracker.active_loop or {}).get("name") != self.form_name()

    def continues_topic(self, tracker: Tracker) -> bool:
        """A follow-up to this form's last answer ("那100万呢", a button under it) keeps the facts of that answer."""
        spec = registry().forms[self.form_name()]
        return (tracker.get_slot("last_answer") or {}).get("topic") == spec.topic

    def implied_by(self, stated: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        """Slots a newly stated fact makes obsolete (a form overrides this), e.g. {"application_type": None}."""
        return {}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        spec = registry().forms[self.form_name()]
        stated = facts_of_message(tracker.latest_message or {}, spec.slots)
        values = {s: tracker.get_slot(s) for s in spec.slots}
        changed: dict[str, Any] = {}
        if self.is_activation(tracker) and not self.continues_topic(tracker):
            for s in spec.slots:
                if s not in stated and values[s] is not None:
                    values[s] = changed[s] = None
        for s, v in stated.items():
            values[s] = changed[s] = v
        for s, v in self.implied_by(stated, values).items():
            values[s] = changed[s] = v
        tracker.slots.update(values)
        for s in spec.slots:  # extra readings of the text (e.g. the violation searched in the records)
            extract = getattr(self, f"extract_{s}", None)
            if extract is not None and s not in stated:
                out = extract(dispatcher, tracker, domain)
                out = await out if inspect.isawaitable(out) else out
                for k, v in (out or {}).items():
                    values[k] = changed[k] = v
                tracker.slots.update(out or {})
        activation = self.is_activation(tracker)
        for s in spec.slots:  # what is new is validated; at activation also what an earlier turn left (no poisoned slot)
            validate = getattr(self, f"validate_{s}", None)
            if values[s] is None or validate is None or not (activation or s in changed):
                continue
            out = validate(values[s], dispatcher, tracker, domain)
            out = await out if inspect.isawaitable(out) else out
            for k, v in (out or {}).items():
                if v != values.get(k) or k in changed:
                    changed[k] = v
                values[k] = v
            tracker.slots.update(out or {})
        skipped = declined(tracker)
        required = await self.required_slots(list(spec.asks), dispatcher, tracker, domain)
        nxt = next((s for s in required if values.get(s, tracker.get_slot(s)) is None and s != skipped), None)
        return [SlotSet(k, v) for k, v in changed.items()] + [SlotSet(REQUESTED, nxt)]


class ActionSlotHelp(Action):
    """After an answer the form could not use: explain the question; from the second failure offer to stop."""

    def name(self) -> str:
        return "action_slot_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        slot = tracker.get_slot(REQUESTED)
        if slot is None or declined(tracker):
            return []  # nothing was asked, or "不知道" to a question the form can answer without: it answers now
        last_bot = next((e for e in reversed(tracker.events) if e.get("event") == "bot"), {})
        if latest_intent(tracker) == "affirm" and STOP_OFFER in (last_bot.get("text") or ""):
            return []  # "继续": the form asks again
        help_text = registry().help(slot)
        if times_asked(tracker, slot) >= 2:
            dispatcher.utter_message(
                text=f"{help_text}\n好像不太好回答，{STOP_OFFER}",
                buttons=[button("继续回答", "affirm"), button("不算了", "stop"), button("转人工", "handoff")],
            )
        else:
            dispatcher.utter_message(text=f"没能识别这个回答。{help_text}")
        return []


class ActionRestartForm(Action):
    """"重新计算": clear the last form's answers and start it again."""

    def name(self) -> str:
        return "action_restart_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        reg = registry()
        form = first_entity(tracker, "form")
        if form not in reg.forms:
            form = reg.form_of_topic((tracker.get_slot("last_answer") or {}).get("topic")) or "fee_form"
        dispatcher.utter_message(text="好的，重新开始。")
        return [SlotSet(s, None) for s in reg.forms[form].slots] + [ActiveLoop(None), FollowupAction(form)]
