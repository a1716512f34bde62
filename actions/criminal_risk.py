"""Criminal-risk questions: which 刑法 articles hit a business, what to avoid.

A risk card answers first with the crime and its statutory penalty (verbatim from the article), then the usual
behaviours, the prevention steps and the caveats as collapsed sections (actions/cards.py layout).
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, Section, button, citations_for, numbered
from actions.common import entity_values, first_entity, latest_text
from actions.kb import get_kb, get_searcher
from knowledge.relevance import relevant_criminal_risks
from knowledge.schema import CriminalRisk

SEED_AREAS = ("安全生产", "环境保护", "税收", "职务侵占")  # the Beihai notice's four areas (seed 003 #8)


def verdict(chosen: list[CriminalRisk]) -> list[str]:
    if len(chosen) == 1:
        r = chosen[0]
        return [f"可能涉及：{r.crime}（{r.area}）", f"刑罚：{r.penalty_summary}"]
    return ["可能涉及：" + "、".join(f"{r.crime}（{r.area}）" for r in chosen), "展开各项看常见行为、刑罚和防范办法。"]


def risk_sections(chosen: list[CriminalRisk]) -> list[Section]:
    if len(chosen) == 1:
        r = chosen[0]
        return [Section("常见行为", [f"· {b}" for b in r.behaviours[:4]]), Section("怎么防范", numbered(r.prevention)),
                Section("提示", list(r.caveats))]
    return [Section(r.crime, ["常见行为：" + "；".join(r.behaviours[:4]), f"刑罚：{r.penalty_summary}", "怎么防范：",
                              *numbered(r.prevention), *[f"提示：{c}" for c in r.caveats]]) for r in chosen]


# "开公司有哪些刑事风险" asks for the overview; anything else is a question to answer or decline
OVERVIEW_CUES = ("有哪些", "哪些", "常见", "清单", "都有什么", "有什么风险", "列一下")


class ActionCriminalRisk(Action):
    def name(self) -> str:
        return "action_criminal_risk"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        risks = kb.of_type(CriminalRisk)
        picked = first_entity(tracker, "kb_id")
        named = [v for v in entity_values(tracker, "criminal_risk") if v in kb.records]
        area = first_entity(tracker, "risk_area")
        industry = first_entity(tracker, "industry")
        question = latest_text(tracker)
        chosen: list[CriminalRisk] = []
        if picked in kb.records and isinstance(kb.records[picked], CriminalRisk):
            chosen = [kb.records[picked]]
        elif named:
            chosen = [kb.records[i] for i in named[:2]]
        elif question:
            hits = get_searcher().search(question, k=3, types=["criminal_risk"])
            if hits and hits[0].classic >= 0.7:
                chosen = [kb.records[hits[0].record_id]]
        if not chosen and area:
            chosen = [r for r in risks if r.area == area][:2]
        if not chosen and question and not industry and not any(c in question for c in OVERVIEW_CUES):
            # a question, not a request for the list: answer it from a record or decline, never the list as answer
            from actions.answering import decide_question, decline_card
            from actions.compliance import render_record

            decision = decide_question(tracker, question)
            if decision.kind != "answer":
                return decline_card(question, decision.referral, in_scope_kind=True).send(dispatcher)
            return render_record(kb.records[decision.hits[0].record_id], question).send(dispatcher)
        if chosen:
            return risk_card(chosen).send(dispatcher)
        # an industry's list is what the relevance data tags for it (data/relevance), not every "全部行业" record
        pool = relevant_criminal_risks(kb, [industry]) if industry else risks
        by_area: dict[str, list[CriminalRisk]] = {}
        for r in pool:
            by_area.setdefault(r.area, []).append(r)
        areas = sorted(by_area, key=lambda a: (a not in SEED_AREAS, SEED_AREAS.index(a) if a in SEED_AREAS else 0, a))
        shown = [by_area[a][0] for a in areas[:6]]
        return Card(
            topic="criminal_risk",
            title="企业常见刑事法律风险",
            body=["企业经营中常见的刑事法律风险（参照北海市《企业常见刑事法律风险提示书》涉及的安全生产、环境保护、税收、"
                  "职务侵占等领域）" + (f"，与{industry}相关的：" if industry else "："), "点选一项看具体行为、刑罚和防范办法。"],
            sections=[Section("各领域的罪名", [f"· {a}：" + "、".join(r.crime for r in by_area[a]) for a in areas])],
            kb_ids=[r.id for r in pool],
            citations=citations_for([r.id for r in shown]),
            buttons=[button(r.crime, "ask_criminal_risk", kb_id=r.id) for r in shown],
        ).send(dispatcher)


def risk_card(chosen: list[CriminalRisk]) -> Card:
    kb = get_kb()
    ids = [r.id for r in chosen]
    related = [rid for r in chosen for rid in r.related if rid in kb.records][:3]
    return Card(
        topic="criminal_risk",
        title="刑事风险提示：" + "、".join(r.crime for r in chosen),
        body=verdict(chosen),
        sections=risk_sections(chosen),
        kb_ids=ids,
        citations=citations_for(ids),
        buttons=[button(kb.records[i].title, "ask_compliance", kb_id=i) for i in related]
        + [button("其他刑事风险", "ask_criminal_risk"), button("转人工", "handoff")],
    )
