"""A first turn of a form without Rasa: the message through the project's own entity extractor, the registry's
slot mappings, the form's validation action and (when it asks nothing) its answer action.

It does what Rasa does at a form's activation (action_extract_slots → validate_<form> → action_ask_<slot> or the
submit rule's answer), so a test can say "this message states the amount: the form does not ask for it" without a
trained model. The trained model is exercised by tests/stories and the e2e tests.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import exemption, fee_relief, litigation_fee, mediation
from actions.registry import registry

VALIDATORS = {
    "fee_form": litigation_fee.ValidateFeeForm,
    "exemption_form": exemption.ValidateExemptionForm,
    "relief_form": fee_relief.ValidateReliefForm,
    "mediation_form": mediation.ValidateMediationForm,
}
ANSWERS = {
    "fee_form": litigation_fee.ActionFeeAnswer,
    "exemption_form": exemption.ActionExemptionAnswer,
    "relief_form": fee_relief.ActionReliefAnswer,
    "mediation_form": mediation.ActionMediationAnswer,
}


@lru_cache(maxsize=1)
def extractor():
    from bot.nlu.knowledge_entities import KnowledgeEntityExtractor, build_patterns
    from knowledge.kb import KnowledgeBase

    return KnowledgeEntityExtractor({}, None, None, build_patterns(KnowledgeBase.from_files()))


def entities_of(text: str) -> list[dict]:
    from bot.nlu.normalizer import normalize_same_length

    return extractor().extract(normalize_same_length(text))


@dataclass
class Turn:
    requested: str | None  # the question the form asks (None: it answers)
    slots: dict[str, Any]
    messages: list[dict] = field(default_factory=list)  # what the user reads (validation notes, answer card)

    def card(self) -> dict | None:
        return next((m["custom"] for m in reversed(self.messages) if m.get("custom")), None)


def _mapped(entities: list[dict]) -> dict[str, Any]:
    """The registry's from_entity mappings, as Rasa's action_extract_slots applies them to any message."""
    out: dict[str, Any] = {}
    for name, spec in registry().slots.items():
        values = [e["value"] for e in entities if e["entity"] in spec.entities]
        if values:
            out[name] = values if spec.type == "list" else values[0]
    return out


def tracker_for(text: str, intent: str, slots: dict | None = None, active_loop: str | None = None,
                requested: str | None = None, entities: list[dict] | None = None, extract: bool = True) -> Tracker:
    """The tracker an action sees; ``extract``: apply the slot mappings to the message first (once per message,
    as Rasa's action_extract_slots does before the form runs)."""
    ents = entities_of(text) if entities is None else entities
    all_slots = {name: None for name in registry().slots} | {"last_answer": None, "requested_slot": requested}
    all_slots.update(slots or {})
    all_slots["requested_slot"] = requested
    if extract:
        all_slots.update(_mapped(ents))
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": ents}
    return Tracker("test", all_slots, message, [], False, None, {"name": active_loop} if active_loop else {}, None)


def _run(action, tracker: Tracker, dispatcher: CollectingDispatcher):
    out = action.run(dispatcher, tracker, {})
    return asyncio.run(out) if asyncio.iscoroutine(out) else out


def first_turn(form: str, text: str, intent: str | None = None, slots: dict | None = None,
               entities: list[dict] | None = None) -> Turn:
    """The form's first reply to ``text``: the question it asks, or its answer card."""
    intent = intent or registry().forms[form].intent
    tracker = tracker_for(text, intent, slots, entities=entities)
    dispatcher = CollectingDispatcher()
    events = _run(VALIDATORS[form](), tracker, dispatcher)
    values = dict(tracker.slots)
    requested = None
    for e in events:
        if e["event"] == "slot":
            if e["name"] == "requested_slot":
                requested = e["value"]
            else:
                values[e["name"]] = e["value"]
    if requested is None:
        answer_tracker = tracker_for(text, intent, values, entities=tracker.latest_message["entities"], extract=False)
        _run(ANSWERS[form](), answer_tracker, dispatcher)
    return Turn(requested, values, dispatcher.messages)


def answer_turn(form: str, text: str, intent: str, slots: dict, requested: str) -> Turn:
    """A reply to the form's question ``requested`` while the form is active."""
    tracker = tracker_for(text, intent, slots, active_loop=form, requested=requested)
    dispatcher = CollectingDispatcher()
    events = _run(VALIDATORS[form](), tracker, dispatcher)
    values = dict(tracker.slots)
    nxt = requested
    for e in events:
        if e["event"] == "slot":
            if e["name"] == "requested_slot":
                nxt = e["value"]
            else:
                values[e["name"]] = e["value"]
    if nxt is None:
        answer_tracker = tracker_for(text, intent, values, entities=tracker.latest_message["entities"], extract=False)
        _run(ANSWERS[form](), answer_tracker, dispatcher)
    return Turn(nxt, values, dispatcher.messages)
