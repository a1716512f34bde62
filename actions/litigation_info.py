"""Litigation-information explanation for loans (来宾 mechanism; elsewhere: the court that heard the case)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import first_entity
from actions.compliance import render_guide
from actions.kb import get_kb
from knowledge.schema import Guide


class ActionLitigationInfo(Action):
    def name(self) -> str:
        return "action_litigation_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        region = first_entity(tracker, "region") or tracker.get_slot("region")
        guides = [g for g in kb.of_type(Guide) if g.guide_topic == "litigation_info"]
        local = [g for g in guides if "来宾" in g.subject or "laibin" in g.id]
        other = [g for g in guides if g not in local]
        chosen = (local if region == "来宾市" else other or local)[:1] or guides[:1]
        card = render_guide(chosen[0])
        if region != "来宾市" and local:
            card.body.append(f"参考：来宾市已建立涉诉信息说明机制（{local[0].title}），其他地区可向审理案件的法院咨询类似服务。")
            card.kb_ids.append(local[0].id)
        return card.send(dispatcher)
