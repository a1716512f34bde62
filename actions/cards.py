"""Answer cards: the text a user reads and the machine-readable ``custom`` every knowledge answer carries.

``custom`` = {"topic", "kb_ids", "citations": [{"law", "article", "quote", "version"}], "title", ...}; a citation of
a law whose text here has a later version also carries ``later_version``, and the card states it in words.
Renderers (widget, WeChat, staff console) and tests read it; the text repeats the legal basis in words so that
a plain-text channel still states it.

Layout of the text, one convention for every door: the first line is ``【title】``; the verdict (the fine, the fee,
yes/no) follows in two or three lines; then each section starts with a line ``▍label`` (处罚, 合规建议, 能否免罚,
法律依据 ...) followed by its lines; the disclaimer is the last line. A plain-text channel (WeChat) shows it as it
is; the widget shows the verdict and collapses each section under its bold label. ``custom["sections"]`` lists the
labels in order, so a renderer can tell a section line from a body line without guessing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.kb import get_kb
from knowledge.kb import KnowledgeBase
from knowledge.parameters import Reference

SECTION_MARK = "▍"
DISCLAIMER = "以上为合规指引，仅供参考，不构成法律意见；具体以主管部门、法院的认定为准。"
TOPICS = {
    "compliance", "first_violation", "litigation_fee", "fee_relief", "mediation", "credit_repair",
    "criminal_risk", "litigation_info", "handoff", "out_of_scope", "smalltalk",
}


@dataclass
class Section:
    """A labelled part of an answer (处罚, 合规建议 ...): collapsed in the widget, a ``▍label`` line in plain text."""

    label: str
    lines: list[str]


@dataclass
class Card:
    topic: str
    title: str
    body: list[str] = field(default_factory=list)  # the verdict, or the whole text of a short answer
    kb_ids: list[str] = field(default_factory=list)
    citations: list[dict] = field(default_factory=list)
    buttons: list[dict] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    disclaimer: bool = True
    sections: list[Section] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.topic not in TOPICS:
            raise ValueError(f"unknown topic {self.topic}")

    def _sections(self) -> list[Section]:
        out = [s for s in self.sections if any(line for line in s.lines)]
        if self.citations:
            out.append(Section("法律依据", [basis_line(self.citations), *version_notes(self.citations)]))
        return out

    def text(self) -> str:
        parts = [f"【{self.title}】", *[b for b in self.body if b]]
        sections = self._sections()
        if self.sections:
            for s in sections:
                parts += [SECTION_MARK + s.label, *[line for line in s.lines if line]]
        elif self.citations:  # a short answer without sections keeps its one-line basis
            parts.append("法律依据：" + basis_line(self.citations))
            parts += version_notes(self.citations)
        if self.disclaimer:
            parts.append(DISCLAIMER)
        return "\n".join(parts)

    def custom(self) -> dict:
        out = {"topic": self.topic, "kb_ids": self.kb_ids, "citations": self.citations, "title": self.title}
        if self.sections:
            out["sections"] = [s.label for s in self._sections()]
        if self.data:
            out["data"] = self.data
        return out

    def send(self, dispatcher: CollectingDispatcher) -> list:
        dispatcher.utter_message(text=self.text(), buttons=self.buttons or None, json_message=self.custom())
        # ids only: the tracker store re-reads every event of a session on every turn, so the quotes (already in
        # the message's card) are not copied into a slot; "为什么" looks them up again from the ids
        return [SlotSet("last_answer", {"topic": self.topic, "kb_ids": self.kb_ids, "title": self.title,
                                        "cited": bool(self.citations)})]


def basis_line(citations: Iterable[dict]) -> str:
    """《中华人民共和国食品安全法》第三十四条、第一百二十四条（2021-04-29）；《…》…"""
    grouped: dict[tuple[str, str], list[str]] = {}
    for c in citations:
        arts = grouped.setdefault((c["law"], c["version"]), [])
        if c["article"] not in arts:
            arts.append(c["article"])
    return "；".join(f"《{law}》{'、'.join(arts)}（{version}版）" for (law, version), arts in grouped.items())


def version_notes(citations: Iterable[dict]) -> list[str]:
    """The later-version notes of the cited laws (statute manifest ``later_version``): on every card citing them."""
    return KnowledgeBase.version_notes(citations)


def citations_for(record_ids: Iterable[str], roles: set[str] | None = None) -> list[dict]:
    return get_kb().citations_of(record_ids, roles)


def citations_of_ids(ids: Iterable[str]) -> list[dict]:
    """Citations of records and parameters (``param.<name>``) by id."""
    return get_kb().citations_of(ids)


def citations_from_references(refs: Iterable[Reference]) -> list[dict]:
    return get_kb().citations_of((), references=refs)


def button(title: str, intent: str, **entities: Any) -> dict:
    """A quick reply: users see the title; the payload (never shown) carries the intent and entities."""
    import json

    payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return {"title": title, "payload": payload}


def numbered(items: Iterable[str]) -> list[str]:
    return [f"{i}. {s}" for i, s in enumerate(items, 1)]
