"""The forms' questions (``action_ask_<slot>``), from the form registry (form_registry.yml next to this file).

Questions are actions rather than domain responses so that wording and quick replies live in the one YAML file
that describes the forms, and every channel renders the same buttons.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.registry import registry

QUESTIONS: dict[str, dict] = {name: spec.question for name, spec in registry().slots.items() if spec.question}


def _make(slot: str, question: dict) -> type[Action]:
    def name(self) -> str:
        return f"action_ask_{slot}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        dispatcher.utter_message(text=question["text"], buttons=question.get("buttons") or None)
        return []

    return type(f"ActionAsk_{slot}", (Action,), {"name": name, "run": run, "__module__": __name__})


ASK_ACTIONS = {slot: _make(slot, q) for slot, q in QUESTIONS.items()}
globals().update({cls.__name__: cls for cls in ASK_ACTIONS.values()})
