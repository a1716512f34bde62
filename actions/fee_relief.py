"""Litigation-fee relief (form): who applies and why → 缓交/减交/免交, answered with what is known.

It never asks: "我们公司想申请免交，可以吗" gets the direct answer (免交 is for natural persons; a company may apply to
缓交 or 减交), "我是低保户" the grounds of a natural person, and a question that names nobody gets both.
Slot handling (``ValidateReliefForm``, ``relief_facts``) is kept apart from the card text (``render_relief``).
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, Section, button, citations_for, citations_of_ids
from actions.common import latest_text
from actions.forms import AnswerFirstForm
from actions.kb import get_kb
from actions.routing import better_form, hand_over
from knowledge.engines.fee_relief import PARTY_TYPES, evaluate

RELIEF_PARAMETERS = ["param.fee_relief.waiver_natural_persons_only", "param.fee_relief.reduction_min_ratio"]
PARTY = {"natural_person": "个人（自然人，含个体工商户）", "individual_business": "个体工商户（从事经营的自然人）",
         "enterprise": "企业", "organisation": "社会组织等其他组织"}
ASKS_WAIVER = ("免交", "免除", "不交", "免费", "全免", "免掉")


class ValidateReliefForm(AnswerFirstForm):
    def name(self) -> str:
        return "validate_relief_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        return []  # answered with what is known (see the module docstring)

    def validate_party_type(self, value, dispatcher, tracker, domain) -> dict:
        return {"party_type": value if value in PARTY_TYPES else None}

    def validate_circumstance(self, value, dispatcher, tracker, domain) -> dict:
        values = value if isinstance(value, list) else [value]
        values = [v for v in values if isinstance(v, str) and v and v != "none"]
        return {"circumstance": values or None}


def relief_facts(tracker: Tracker) -> tuple[str | None, list[str], bool]:
    """(party or None, named circumstances, whether 免交 was asked about)."""
    party = tracker.get_slot("party_type")
    party = party if party in PARTY_TYPES else None
    circumstances = [c for c in (tracker.get_slot("circumstance") or []) if isinstance(c, str) and c != "none"]
    return party, circumstances, any(w in latest_text(tracker) for w in ASKS_WAIVER)


def render_relief(party: str | None, circumstances: list[str], asks_waiver: bool) -> Card:
    kb = get_kb()
    grounds = circumstances or (["funds_shortage"] if party in ("enterprise", "organisation") else ["other_hardship"])
    result = evaluate(kb, party or "natural_person", grounds)
    verdict: list[str] = []
    if party in ("enterprise", "organisation") and asks_waiver:
        verdict.append(f"不能免交：诉讼费用的免交只适用于自然人，{PARTY[party]}可以申请缓交或者减交。")
    elif party is None:
        verdict.append("可以申请：个人（自然人，含个体工商户）可以申请缓交、减交或免交；企业和其他组织只能申请缓交或减交，不能免交。")
    if party is None and not circumstances:
        pass  # the first line already says who can apply for what
    elif result.eligible:
        verdict.append(f"{PARTY[party or 'natural_person']}按您说的情况可以申请：" + "、".join(result.reliefs) + "。")
    else:
        verdict.append("按您描述的情况，没有对应的法定缓交、减交、免交情形；确有困难的仍可提出申请并说明理由。")
    grounds_lines = []
    for rule in result.eligible:
        how = "法院应当准予" if rule.mandatory else "由法院审查决定"
        grounds_lines.append(f"· {rule.relief}：{rule.ground}（{how}）")
    # grounds that would hold with one more fact (e.g. 家庭生产经营难以为继 for a 个体户): legal-fixes, issue #12
    more = [f"· 如果{rule.ground.rstrip('的')}：可以申请{rule.relief}，法院应当准予。" + "".join(rule.caveats)
            for rule in result.open_grounds]
    shown = [g for g in result.guides if g.aspect in ("individual_business", "enterprise", "materials", "timing")]
    ids = [r.id for r in result.eligible] + [r.id for r in result.open_grounds] + [g.id for g in shown]
    return Card(
        topic="fee_relief",
        title="诉讼费缓交、减交、免交" + ("：可以申请" + "、".join(result.reliefs) if result.reliefs else ""),
        body=verdict,
        sections=[
            Section("可以申请的情形", grounds_lines),
            Section("还可能适用", more),
            Section("注意", list(result.notes)),
            Section("怎么申请", [f"{g.title}：{g.text}" for g in shown]
                    + ["去哪里申请：在起诉或上诉时向受理案件的人民法院提交，可通过法院诉讼服务中心或其线上诉讼服务平台办理。"]),
        ],
        kb_ids=ids,
        citations=citations_for(ids) + citations_of_ids(RELIEF_PARAMETERS),
        buttons=_follow_ups(party),
        data={"reliefs": result.reliefs, "party_type": party or "unknown", "waiver_excluded": result.waiver_excluded,
              "open_reliefs": [r.relief for r in result.open_grounds]},
    )


def _follow_ups(party: str | None) -> list[dict]:
    out = []
    if party != "natural_person":
        out.append(button("我是个人或个体户", "inform", party_type="natural_person"))
    if party != "enterprise":
        out.append(button("我们是公司", "inform", party_type="enterprise"))
    return out + [button("资金暂时困难", "inform", circumstance="funds_shortage"),
                  button("诉讼费是多少", "ask_litigation_fee"), button("转人工", "handoff")]


class ActionReliefAnswer(Action):
    def name(self) -> str:
        return "action_relief_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        target = better_form("relief_form", tracker)
        if target:
            return hand_over(target, dispatcher, tracker, domain)
        return render_relief(*relief_facts(tracker)).send(dispatcher)
