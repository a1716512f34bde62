"""Mediation routing (form): the channels that fit what is known, first reply; the user narrows by region or dispute.

It never asks: "公司在梧州，员工对社保费缴费有争议" already names the dispute and the city; a question naming neither
gets the channels open to everyone, with buttons to narrow.  A question about a procedure itself ("调解书有没有
时间限制") is not a routing question: ``better_form`` hands it to the knowledge answer (actions/routing.py).
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, Section, button, citations_for
from actions.common import as_bool, first_entity
from actions.facts import positive_number
from actions.forms import AnswerFirstForm
from actions.kb import get_kb
from actions.routing import better_form, hand_over
from knowledge.engines.mediation import route_mediation
from knowledge.schema import MediationChannel

NARROW_REGIONS = ["南宁市", "柳州市", "梧州市", "北海市", "崇左市", "广州市"]
NARROW_DISPUTES = ["合同纠纷", "劳动争议", "社保缴费争议", "涉外商事纠纷", "破产衍生纠纷", "民间借贷"]


class ValidateMediationForm(AnswerFirstForm):
    def name(self) -> str:
        return "validate_mediation_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        return []  # answered with what is known (see the module docstring)

    def validate_dispute_type(self, value, dispatcher, tracker, domain) -> dict:
        return {"dispute_type": value if value in get_kb().vocab.get("dispute_type", {}) else None}

    def validate_region(self, value, dispatcher, tracker, domain) -> dict:
        return {"region": value if value in get_kb().vocab.get("region", {}) else None}

    def validate_foreign(self, value, dispatcher, tracker, domain) -> dict:
        return {"foreign": as_bool(value)}

    def validate_amount(self, value, dispatcher, tracker, domain) -> dict:
        return {"amount": positive_number(value)}


def _dispute(dispute_type: str | None, foreign: bool | None) -> str | None:
    """A dispute with a foreign party and no other name is a 涉外商事纠纷; a named one keeps its name (the routing
    engine already prefers the channels that take foreign parties)."""
    if foreign and dispute_type is None:
        return "涉外商事纠纷"
    return dispute_type


def render_mediation(dispute_type: str | None, region: str | None, foreign: bool | None, amount) -> Card:
    kb = get_kb()
    dispute = _dispute(dispute_type, foreign)
    result = route_mediation(kb, dispute, region, foreign, amount)
    known = "；".join(x for x in (f"纠纷：{dispute}" if dispute else None, f"地区：{region}" if region else None,
                                 "对方涉外" if foreign else None) if x)
    verdict = []
    if result.options:
        first = result.options[0].channel
        why = [r for r in result.options[0].reasons if not (r == "不收费" and ("免费" in first.title or "不收费" in first.title))]
        verdict.append(f"建议先找：{first.title}" + (f"（{'、'.join(why)}）" if why else "") + "。")
    verdict.append(("按您说的（" + known + "）" if known else "您没有说明纠纷类型和地区，下面是")
                   + ("适合的渠道" if known else "普遍适用的渠道") + (f"，共{len(result.options)}个。" if result.options else "。"))
    if not region:
        verdict.append("说一下城市或区县（或点下面的地区），可以找到当地的渠道。")
    channels = []
    for i, opt in enumerate(result.options, 1):
        ch = opt.channel
        reasons = [r for r in opt.reasons if not (r == "不收费" and ("免费" in ch.title or "不收费" in ch.title))]
        online = "可线上办理" if ch.online else "线下办理" if ch.online is False else "办理方式以该机构为准"
        channels += [f"{i}. {ch.title}" + (f"（{'、'.join(reasons)}）" if reasons else ""), f"   费用：{ch.cost}；{online}",
                     f"   怎么开始：{ch.how_to_start[0]}", f"   结果效力：{ch.legal_effect}", f"   咨询：{ch.contact}"]
    ids = result.record_ids
    return Card(
        topic="mediation",
        title="纠纷解决渠道建议" + (f"：{dispute}" if dispute else ""),
        body=verdict,
        sections=[
            Section("可以找的渠道", channels),
            Section("调解之后", ["；".join(c.title for c in result.onward)] if result.onward else []),
            Section("提示", list(result.notes)),
        ],
        kb_ids=ids,
        citations=citations_for(ids),
        buttons=_follow_ups(dispute, region),
        data={"channels": [o.channel.id for o in result.options], "dispute_type": dispute, "region": region},
    )


def _follow_ups(dispute: str | None, region: str | None) -> list[dict]:
    out = []
    if not region:
        out += [button(r.removesuffix("市"), "inform", region=r) for r in NARROW_REGIONS]
    elif not dispute:
        out += [button(d, "inform", dispute_type=d) for d in NARROW_DISPUTES]
    return out + [button("调解协议怎么申请司法确认", "ask_mediation", kb_id="mediation.judicial_confirmation"),
                  button("打官司要多少诉讼费", "ask_litigation_fee")]


def render_channel(channel: MediationChannel) -> Card:
    """One procedure record (司法确认, 劳动仲裁 ...) as the answer to a question about it."""
    steps = [f"{i}. {s}" for i, s in enumerate(channel.how_to_start, 1)]
    return Card(
        topic="mediation",
        title=channel.title,
        body=[channel.legal_effect],
        sections=[Section("怎么办理", steps), Section("接下来", list(channel.next_steps)),
                  Section("费用和咨询", [f"费用：{channel.cost}", f"咨询：{channel.contact}"]),
                  Section("提示", list(channel.caveats))],
        kb_ids=[channel.id],
        citations=citations_for([channel.id]),
        buttons=[button("纠纷去哪调解", "ask_mediation"), button("打官司要多少诉讼费", "ask_litigation_fee")],
    )


class ActionMediationAnswer(Action):
    def name(self) -> str:
        return "action_mediation_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        picked = get_kb().records.get(first_entity(tracker, "kb_id") or "")
        if isinstance(picked, MediationChannel):  # a button naming a procedure (司法确认): its record answers
            return render_channel(picked).send(dispatcher)
        target = better_form("mediation_form", tracker)
        if target:
            return hand_over(target, dispatcher, tracker, domain)
        s = tracker.get_slot
        return render_mediation(s("dispute_type"), s("region"), as_bool(s("foreign")),
                                positive_number(s("amount"))).send(dispatcher)
