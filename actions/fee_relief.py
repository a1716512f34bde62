"""Litigation-fee relief (form): natural person or enterprise, circumstances → 缓交/减交/免交."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, Section, button, citations_for, citations_of_ids
from actions.kb import get_kb
from knowledge.engines.fee_relief import NATURAL_PERSONS, PARTY_TYPES, evaluate

RELIEF_PARAMETERS = ["param.fee_relief.waiver_natural_persons_only", "param.fee_relief.reduction_min_ratio"]
PARTY = {"natural_person": "个人（自然人）", "individual_business": "个体工商户（从事经营的自然人）", "enterprise": "企业",
         "organisation": "社会组织"}


class ValidateReliefForm(FormValidationAction):
    def name(self) -> str:
        return "validate_relief_form"

    def validate_party_type(self, value, dispatcher, tracker, domain) -> dict:
        return {"party_type": value if value in PARTY_TYPES else None}

    def validate_circumstance(self, value, dispatcher, tracker, domain) -> dict:
        values = value if isinstance(value, list) else [value]
        values = [v for v in values if isinstance(v, str) and v]
        return {"circumstance": values or None}


class ActionReliefAnswer(Action):
    def name(self) -> str:
        return "action_relief_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        party = tracker.get_slot("party_type") or "natural_person"
        circumstances = [c for c in (tracker.get_slot("circumstance") or []) if c != "none"]
        if not circumstances:
            # no specific ground named: only the "确有困难的其他情形" grounds can be claimed
            circumstances = ["other_hardship"] if party in NATURAL_PERSONS else ["funds_shortage"]
        result = evaluate(kb, party, circumstances)
        return render_relief(result).send(dispatcher)


def render_relief(result) -> Card:
    """Verdict (who, which reliefs) first; then the grounds, what else may hold, notes, and how to apply."""
    party = result.party_type
    body = [f"申请人：{PARTY[party]}"]
    if result.eligible:
        body.append("可以申请：" + "、".join(result.reliefs))
    else:
        body.append("按您描述的情况，没有对应的法定缓交、减交、免交情形；确有困难的仍可提出申请并说明理由。")
    grounds = []
    for rule in result.eligible:
        how = "法院应当准予" if rule.mandatory else "由法院审查决定"
        grounds.append(f"· {rule.relief}：{rule.ground}（{how}）")
    more = [f"· 如果{rule.ground.rstrip('的')}：可以申请{rule.relief}，法院应当准予。" + "".join(rule.caveats)
            for rule in result.open_grounds]
    shown = [g for g in result.guides if g.aspect in ("individual_business", "enterprise", "materials", "timing")]
    how_to = [f"{g.title}：{g.text}" for g in shown]
    how_to.append("去哪里申请：在起诉或上诉时向受理案件的人民法院提交，可通过法院诉讼服务中心或其线上诉讼服务平台办理。")
    ids = [r.id for r in result.eligible] + [r.id for r in result.open_grounds] + [g.id for g in shown]
    return Card(
        topic="fee_relief",
        title="诉讼费缓交、减交、免交" + ("：可以申请" + "、".join(result.reliefs) if result.reliefs else ""),
        body=body,
        sections=[Section("依据的情形", grounds), Section("还可能适用", more), Section("注意", list(result.notes)),
                  Section("怎么申请", how_to)],
        kb_ids=ids,
        citations=citations_for(ids) + citations_of_ids(RELIEF_PARAMETERS),
        buttons=[button("诉讼费是多少", "ask_litigation_fee"), button("重新判断", "restart_form", form="relief_form"),
                 button("转人工", "handoff")],
        data={"reliefs": result.reliefs, "party_type": party, "waiver_excluded": result.waiver_excluded,
              "open_reliefs": [r.relief for r in result.open_grounds]},
    )
