"""Mediation routing (form): dispute type, region, foreign party, amount → ranked channels and the way onward."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, button, citations_for
from actions.common import as_bool
from actions.kb import get_kb
from knowledge.engines.mediation import route_mediation


class ValidateMediationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_mediation_form"

    def validate_dispute_type(self, value, dispatcher, tracker, domain) -> dict:
        return {"dispute_type": value if value in get_kb().vocab.get("dispute_type", {}) else None}

    def validate_region(self, value, dispatcher, tracker, domain) -> dict:
        return {"region": value if value == "unknown" or value in get_kb().vocab.get("region", {}) else None}

    def validate_foreign(self, value, dispatcher, tracker, domain) -> dict:
        if value == "unknown":
            return {"foreign": "unknown"}
        v = as_bool(value)
        return {"foreign": None if v is None else str(v).lower()}

    def validate_amount(self, value, dispatcher, tracker, domain) -> dict:
        if value == "unknown":
            return {"amount": "unknown"}
        try:
            return {"amount": float(value) if float(value) > 0 else None}
        except (TypeError, ValueError):
            return {"amount": None}


class ActionMediationAnswer(Action):
    def name(self) -> str:
        return "action_mediation_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        s = tracker.get_slot
        region = None if s("region") in (None, "unknown") else s("region")
        amount = None if s("amount") in (None, "unknown") else s("amount")
        result = route_mediation(kb, s("dispute_type"), region, as_bool(s("foreign")), amount)
        body = [f"纠纷：{s('dispute_type') or '未说明'}；地区：{region or '未说明'}"]
        for i, opt in enumerate(result.options, 1):
            ch = opt.channel
            body.append(f"{i}. {ch.title}（{'、'.join(opt.reasons)}）")
            body.append(f"   费用：{ch.cost}；{'可线上办理' if ch.online else '线下办理' if ch.online is False else '办理方式以该机构为准'}")
            body.append(f"   怎么开始：{ch.how_to_start[0]}")
            body.append(f"   结果效力：{ch.legal_effect}")
            body.append(f"   咨询：{ch.contact}")
        if result.onward:
            body.append("调解之后的路：" + "；".join(f"{c.title}" for c in result.onward))
        body += result.notes
        ids = result.record_ids
        return Card(
            topic="mediation",
            title="纠纷解决渠道建议",
            body=body,
            kb_ids=ids,
            citations=citations_for(ids),
            buttons=[button("调解协议怎么司法确认", "ask_mediation", dispute_type=s("dispute_type") or "合同纠纷"),
                     button("打官司要多少诉讼费", "ask_litigation_fee"),
                     button("重新选择", "restart_form", form="mediation_form")],
            data={"channels": [o.channel.id for o in result.options]},
        ).send(dispatcher)
