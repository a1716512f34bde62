"""Reading what the user said: latest text, entities, slot values (no business rules here)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def latest_text(tracker: Tracker) -> str:
    """The question in words: the original text of a clarified fallback, else the latest message."""
    query = entity_values(tracker, "query")
    if query:
        return str(query[0])
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def entity_values(tracker: Tracker, entity: str) -> list[Any]:
    out = []
    for e in tracker.latest_message.get("entities") or []:
        if e.get("entity") == entity and e.get("value") not in out:
            out.append(e.get("value"))
    return out


def first_entity(tracker: Tracker, entity: str) -> Any:
    values = entity_values(tracker, entity)
    return values[0] if values else None


def latest_intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "1", "yes"):
        return True
    if value in ("false", "False", "0", "no"):
        return False
    return None
