"""Credit repair: getting off 失信被执行人 / 限高 / 经营异常名录 / 行政处罚公示.

The answer card puts the verdict first (which way out applies, who decides), then the conditions, the steps and
the caveats as collapsed sections (actions/cards.py layout): a repair procedure runs to a dozen lines, which on a
phone was two screens before the user learned where to go.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import Card, Section, button, citations_for, numbered
from actions.common import first_entity, latest_text
from actions.kb import get_kb, get_searcher
from knowledge.engines.credit_repair import ISSUES, plan_repair
from knowledge.schema import CreditRepairProcedure


def verdict(chosen: list[CreditRepairProcedure]) -> list[str]:
    """Two or three lines: the way out (or the ways, numbered) and who decides."""
    if len(chosen) == 1:
        p = chosen[0]
        return [p.title, f"办理机关：{p.authority}"]
    return ["按您的情况，可能适用以下途径（展开各项看条件和步骤）："] + numbered(p.title for p in chosen)


def procedure_sections(chosen: list[CreditRepairProcedure]) -> list[Section]:
    if len(chosen) == 1:
        p = chosen[0]
        return [
            Section("适用条件", [f"适用情形：{p.situation}", *numbered(p.conditions)]),
            Section("怎么办", numbered(p.steps)),
            Section("结果", [p.outcome]),
            Section("注意", list(p.caveats)),
        ]
    return [
        Section(p.title, [f"适用情形：{p.situation}", "条件：", *numbered(p.conditions), "怎么办：", *numbered(p.steps),
                          f"办理机关：{p.authority}", f"结果：{p.outcome}", *[f"注意：{c}" for c in p.caveats]])
        for p in chosen
    ]


def repair_card(chosen: list[CreditRepairProcedure], others: list[CreditRepairProcedure]) -> Card:
    ids = [p.id for p in chosen]
    return Card(
        topic="credit_repair",
        title=f"信用修复：{chosen[0].issue}",
        body=verdict(chosen),
        sections=procedure_sections(chosen),
        kb_ids=ids,
        citations=citations_for(ids),
        buttons=[button(p.title, "ask_credit_repair", kb_id=p.id) for p in others[:3]] + [button("转人工", "handoff")],
    )


class ActionCreditRepair(Action):
    def name(self) -> str:
        return "action_credit_repair"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kb = get_kb()
        issue = first_entity(tracker, "credit_issue") or tracker.get_slot("credit_issue")
        picked = first_entity(tracker, "kb_id")
        question = latest_text(tracker)
        if picked in kb.records and isinstance(kb.records[picked], CreditRepairProcedure):
            chosen = [kb.records[picked]]
        elif issue in ISSUES:
            procs = plan_repair(kb, issue).procedures
            hits = get_searcher().search(question, k=len(procs) + 3, types=["credit_repair"]) if question else []
            rank = {h.record_id: i for i, h in enumerate(hits)}
            procs.sort(key=lambda p: rank.get(p.id, 99))
            chosen = procs[:2]
        else:
            hits = get_searcher().search(question, k=3, types=["credit_repair"]) if question else []
            if hits and hits[0].classic >= 0.6:
                chosen = [kb.records[hits[0].record_id]]
            else:
                return Card(
                    topic="credit_repair",
                    title="信用修复：您遇到的是哪种情况？",
                    body=["不同名单的修复途径不同，请选择："],
                    buttons=[button(i, "ask_credit_repair", credit_issue=i) for i in ISSUES],
                    disclaimer=False,
                ).send(dispatcher)
        return procedure_card(chosen).send(dispatcher)


def procedure_card(chosen: list[CreditRepairProcedure]) -> Card:
    """The card for chosen procedures, with the other procedures of the same list as buttons."""
    others = [p for p in plan_repair(get_kb(), chosen[0].issue).procedures if p not in chosen]
    return repair_card(chosen, others)
