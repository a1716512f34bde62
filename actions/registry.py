"""The form registry (form_registry.yml next to this file), read once: the tables every form action uses.

The same file generates the domain's forms and slots and the form rules (``python -m bot.dialogue.generate``), so a
slot added there is asked, validated, explained and routed without a second list to keep in step.
No Rasa here: the registry is plain data, usable by the generator, the actions and the tests alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REGISTRY_FILE = Path(__file__).with_name("form_registry.yml")
SLOT_TYPES = {"bool", "categorical", "float", "list", "text"}
SKIP = "skip"  # an answer meaning "I don't know": the form answers without the slot


@dataclass(frozen=True)
class SlotSpec:
    name: str
    type: str
    entities: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    answers: dict[str, Any] = field(default_factory=dict)
    implied: tuple[tuple[Any, tuple[str, ...]], ...] = ()
    default: Any = None
    help: str = ""
    question: dict | None = None
    extra_mappings: tuple[dict, ...] = ()


@dataclass(frozen=True)
class FormSpec:
    name: str
    intent: str
    answer: str
    topic: str
    asks: tuple[str, ...]
    slots: tuple[str, ...]


@dataclass(frozen=True)
class Registry:
    forms: dict[str, FormSpec]
    slots: dict[str, SlotSpec]
    interruptions: dict[str, Any]

    def form_of_topic(self, topic: str | None) -> str | None:
        return next((f.name for f in self.forms.values() if f.topic == topic), None)

    def form_of_intent(self, intent: str | None) -> str | None:
        return next((f.name for f in self.forms.values() if f.intent == intent), None)

    def entities_of(self, form: str) -> set[str]:
        return {e for s in self.forms[form].slots for e in self.slots[s].entities}

    def forms_of_slot(self, slot: str) -> list[str]:
        return [f.name for f in self.forms.values() if slot in f.slots]

    def slot_of_entity(self, entity: str) -> list[str]:
        return [s.name for s in self.slots.values() if entity in s.entities]

    def help(self, slot: str | None) -> str:
        spec = self.slots.get(slot or "")
        return spec.help if spec and spec.help else "这个问题需要一个具体的回答。"


def _slot(name: str, raw: dict) -> SlotSpec:
    if raw.get("type") not in SLOT_TYPES:
        raise ValueError(f"slot {name}: type must be one of {sorted(SLOT_TYPES)}")
    implied = []
    for entry in raw.get("implied") or []:
        ((value, words),) = entry.items()
        implied.append((value, tuple(words)))
    values = tuple(raw.get("values") or ())
    if raw["type"] == "categorical":
        for value, _ in implied:
            if value not in values:
                raise ValueError(f"slot {name}: implied value {value!r} is not one of its values")
    return SlotSpec(
        name=name,
        type=raw["type"],
        entities=tuple(raw.get("entities") or ()),
        values=values,
        answers=dict(raw.get("answers") or {}),
        implied=tuple(implied),
        default=raw.get("default"),
        help=raw.get("help") or "",
        question=raw.get("question"),
        extra_mappings=tuple(raw.get("extra_mappings") or ()),
    )


def load(path: Path = REGISTRY_FILE) -> Registry:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    slots = {name: _slot(name, spec) for name, spec in raw["slots"].items()}
    forms = {}
    for name, spec in raw["forms"].items():
        form = FormSpec(name=name, intent=spec["intent"], answer=spec["answer"], topic=spec["topic"],
                        asks=tuple(spec.get("asks") or ()), slots=tuple(spec["slots"]))
        unknown = [s for s in (*form.asks, *form.slots) if s not in slots]
        if unknown:
            raise ValueError(f"form {name}: unknown slots {unknown}")
        missing_question = [s for s in form.asks if not slots[s].question]
        if missing_question:
            raise ValueError(f"form {name} asks for {missing_question} but the registry has no question for them")
        forms[name] = form
    return Registry(forms=forms, slots=slots, interruptions=raw.get("interruptions") or {})


@lru_cache(maxsize=1)
def registry() -> Registry:
    return load()
