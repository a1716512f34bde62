"""What a message states, slot by slot: the entities the NLU found, then the facts its words clearly imply.

"我们公司起诉客户追讨货款50万元" states an amount (an entity) and implies a property case (货款) brought by a company;
the registry lists, per slot, which entities fill it and which words imply which value (form_registry.yml).
A form reads these facts before it asks anything, so it never asks what the user has just said.

Pure functions of the text and the entity list: the same reading serves the forms, the routing of a bare fact and
the tests (tests/actions/test_fact_table.py).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from actions.registry import Registry, registry

NEGATIONS = ("不是", "不走", "没有", "没", "非", "不用", "不想")
ALTERNATIVES = ("还是", "或者", "或是")
CORRECTIONS = ("不是", "不对", "说错", "搞错", "写错", "改成", "改为", "而是", "应该是", "更正")


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 2) : start]
    return any(before.endswith(n) for n in NEGATIONS)


def _occurrences(text: str, word: str) -> list[int]:
    out, i = [], text.find(word)
    while i >= 0:
        out.append(i)
        i = text.find(word, i + 1)
    return out


def implied_value(slot: str, text: str, reg: Registry | None = None) -> Any:
    """The value the words of ``text`` imply for ``slot`` (None if none, or if alternatives are weighed:
    "普通程序还是简易程序" states neither)."""
    spec = (reg or registry()).slots[slot]
    found: list[Any] = []
    for value, words in spec.implied:
        if any(not _negated(text, i) for w in words for i in _occurrences(text, w)):
            if value not in found:
                found.append(value)
    if not found:
        return None
    if len(found) > 1 and slot in ("procedure", "ending") and any(a in text for a in ALTERNATIVES):
        return None
    return found[0]


def _amount_value(values: list[Any], text: str) -> Any:
    """Several amounts: a correction ("不是50万，是80万") means the last one; otherwise the largest is the claim."""
    numbers = []
    for v in values:
        try:
            numbers.append(float(v))
        except (TypeError, ValueError):
            return v  # not a number: the form refuses it with a message
    if not numbers:
        return None
    if any(c in text for c in CORRECTIONS):
        return values[-1]
    return values[max(range(len(numbers)), key=lambda i: numbers[i])]


def read_facts(text: str, entities: Iterable[dict], slots: Iterable[str] | None = None,
               reg: Registry | None = None) -> dict[str, Any]:
    """{slot: raw value} for every slot (of ``slots``, default all) the message states or clearly implies.

    Values are raw (entity values as the NLU gives them, e.g. "true"); the forms' validation types them."""
    reg = reg or registry()
    text = text or ""
    entities = [e for e in entities or [] if e.get("value") is not None]
    out: dict[str, Any] = {}
    for name in slots if slots is not None else reg.slots:
        spec = reg.slots[name]
        values = []
        for e in entities:
            if e.get("entity") in spec.entities and e["value"] not in values:
                values.append(e["value"])
        if values:
            if spec.type == "list":
                out[name] = values
            elif name == "amount":
                out[name] = _amount_value(values, text)
            else:
                out[name] = values[-1] if any(c in text for c in CORRECTIONS) else values[0]
            continue
        if spec.implied and text:
            value = implied_value(name, text, reg)
            if value is not None:
                out[name] = [value] if spec.type == "list" else value
    return out


def positive_number(value: Any, limit: float = 1e13) -> float | None:
    """A usable amount or None: a slot holding "NaN", "unknown", a negative or an absurd number never reaches an
    engine (a saved conversation may hold values an older version stored)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and 0 < v <= limit else None


def facts_of_message(message: dict, slots: Iterable[str] | None = None) -> dict[str, Any]:
    """read_facts over a Rasa ``latest_message`` (text, entities); a button payload has no text, only entities."""
    text = message.get("text") or ""
    if text.startswith("/"):
        text = ""
    return read_facts(text, message.get("entities") or [], slots)
