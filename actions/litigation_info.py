"""Litigation-information explanation for loans (来宾 mechanism; elsewhere: the court that heard the case).

The card gives the guide's one-line subject as the verdict, then its paragraphs as collapsed sections: a paragraph
written as "标签：内容" (适用地区, 怎么申请, 多久出结果 ...) becomes a section under that label, the rest go under 说明
(actions/cards.py layout).
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, Section, citations_for, numbered
from actions.common import first_entity
from actions.kb import get_kb
from knowledge.schema import Guide

LABELLED = re.compile(r"^([^，。；：:]{2,14})[：:](.+)$", re.S)


def guide_sections(guide: Guide) -> list[Section]:
    sections: list[Section] = []
    plain: list[str] = []
    for line in guide.body:
        m = LABELLED.match(line)
        if m:
            sections.append(Section(m.group(1), [m.group(2).strip()]))
        else:
            plain.append(line)
    if plain:
        sections.insert(0, Section("说明", plain))
    sections.append(Section("下一步", numbered(guide.next_steps)))
    if guide.contact:
        sections.append(Section("咨询渠道", [guide.contact]))
    sections.append(Section("提示", list(guide.caveats)))
    return sections


def guide_card(guide: Guide, reference: Guide | None = None) -> Card:
    body = [guide.subject]
    kb_ids = [guide.id]
    if reference is not None:
        body.append(f"参考：来宾市已建立涉诉信息说明机制（{reference.title}），其他地区可向审理案件的法院咨询类似服务。")
        kb_ids.append(reference.id)
    return Card(topic="litigation_info", title=guide.title, body=body, sections=guide_sections(guide), kb_ids=kb_ids,
                citations=citations_for([guide.id]))


class ActionLitigationInfo(Action):
    def name(self) -> str:
        return "action_litigation_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        region = first_entity(tracker, "region") or tracker.get_slot("region")
        guides = [g for g in kb.of_type(Guide) if g.guide_topic == "litigation_info"]
        # by id: the other guide's subject mentions 来宾 too ("来宾以外的企业"), which used to make every region get 来宾's
        local = [g for g in guides if "laibin" in g.id]
        other = [g for g in guides if g not in local]
        chosen = (local if region == "来宾市" else other or local)[:1] or guides[:1]
        reference = local[0] if region != "来宾市" and local and chosen[0] is not local[0] else None
        return guide_card(chosen[0], reference).send(dispatcher)
