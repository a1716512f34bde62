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


def _candidates(slot: str, text: str, entities: list[dict], reg: Registry) -> list[tuple[int, int, Any]]:
    """(rank, position, value) for every statement of ``slot`` in the message, entities and implied words alike.

    The rank is the registry's priority: an entity whose words the ``implied`` table lists takes that entry's
    rank and value (个体户 is a natural person there, whatever the NLU vocabulary says), another entity ranks
    with the last entry of its value; a negated statement ("不是简易程序") does not count."""
    spec = reg.slots[slot]
    entries = spec.implied
    out: list[tuple[int, int, Any]] = []
    for e in entities:
        if e.get("entity") not in spec.entities:
            continue
        start, end = e.get("start"), e.get("end")
        surface = text[start:end] if text and isinstance(start, int) and isinstance(end, int) else ""
        if surface and _negated(text, start):
            continue
        listed = next((i for i, (_, words) in enumerate(entries) if surface and surface in words), None)
        if listed is not None:
            out.append((listed, start, entries[listed][0]))
        else:
            last = max((i for i, (v, _) in enumerate(entries) if v == e["value"]), default=len(entries))
            out.append((last, start if isinstance(start, int) else -1, e["value"]))
    for i, (value, words) in enumerate(entries):
        for w in words:
            for pos in _occurrences(text, w):
                if not _negated(text, pos):
                    out.append((i, pos, value))
    return out


def implied_value(slot: str, text: str, entities: list[dict] | None = None, reg: Registry | None = None) -> Any:
    """The value ``text`` (and its entities) states for ``slot``: the highest-ranked statement; None if none, or if
    alternatives are weighed ("普通程序还是简易程序" states neither)."""
    reg = reg or registry()
    found = _candidates(slot, text or "", entities or [], reg)
    if not found:
        return None
    values = list(dict.fromkeys(v for _, _, v in sorted(found, key=lambda c: (c[0], c[1]))))
    if len(values) > 1 and slot in ("procedure", "ending") and any(a in text for a in ALTERNATIVES):
        return None
    if len(values) > 1 and any(c in text for c in CORRECTIONS) and reg.slots[slot].type != "list":
        return max(found, key=lambda c: c[1])[2]  # "改成劳动争议": the last statement is the correction
    return values[0]


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
        if spec.type == "list":
            implied = [v for _, _, v in _candidates(name, text, [], reg)] if spec.implied else []
            found = list(dict.fromkeys(values + implied))
            if found:
                out[name] = found
        elif name == "amount":
            if values:
                out[name] = _amount_value(values, text)
        elif spec.implied:
            value = implied_value(name, text, entities, reg)
            if value is not None:
                out[name] = value
        elif values:
            out[name] = values[-1] if any(c in text for c in CORRECTIONS) else values[0]
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
