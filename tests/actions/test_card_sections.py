"""The verdict-first layout of the credit-repair, criminal-risk and litigation-info cards (actions/cards.py):
【title】, two or three verdict lines, then one ``▍label`` line per section in custom["sections"], 法律依据 last,
the disclaimer at the end — so the widget can show the verdict and collapse the rest."""
from __future__ import annotations

import copy
import json

import pytest
from rasa_sdk import Tracker

from actions import credit_repair, criminal_risk, litigation_info
from actions.cards import DISCLAIMER, SECTION_MARK
from tests.actions.test_actions import TRACKERS, assert_verbatim, run


def tracker_with(name: str, text: str, entities: list[dict], **slots) -> Tracker:
    state = copy.deepcopy(json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8")))
    state["slots"].update(slots)
    state["latest_message"] = {**state.get("latest_message", {}), "text": text, "entities": entities}
    return Tracker.from_dict(state)


def layout(message: dict) -> tuple[list[str], list[tuple[str, list[str]]], str]:
    """(verdict lines, [(label, lines)], last line) of a card's text, checked against custom["sections"]."""
    custom = message["custom"]
    lines = message["text"].split("\n")
    assert lines[0] == f"【{custom['title']}】"
    labels = custom["sections"]
    verdict, sections = [], []
    for line in lines[1:-1]:
        if line.startswith(SECTION_MARK):
            sections.append((line[len(SECTION_MARK):], []))
        elif sections:
            sections[-1][1].append(line)
        else:
            verdict.append(line)
    assert [label for label, _ in sections] == labels
    assert all(body for _, body in sections), sections
    return verdict, sections, lines[-1]


def check(kb, messages) -> tuple[list[str], list[tuple[str, list[str]]]]:
    message = [m for m in messages if m.get("custom")][-1]
    verdict, sections, last = layout(message)
    assert 1 <= len(verdict) <= 3, verdict
    assert last == DISCLAIMER
    assert sections[-1][0] == "法律依据" and message["custom"]["citations"]
    assert_verbatim(kb, message["custom"]["citations"])
    return verdict, sections


def test_credit_repair_answers_with_the_way_out_first(kb):
    messages, _ = run(credit_repair.ActionCreditRepair(), tracker_with(
        "s-credit", "我被列入经营异常名录了怎么移出", [], credit_issue="经营异常名录"))
    verdict, sections = check(kb, messages)
    assert "按您的情况" in verdict[0] or "办理机关" in verdict[-1]
    assert any("怎么办" in "".join(body) or label == "怎么办" for label, body in sections)


def test_one_credit_procedure_has_its_steps_in_sections(kb):
    messages, _ = run(credit_repair.ActionCreditRepair(), tracker_with(
        "s-credit", "申请纠正", [{"entity": "kb_id", "value": "credit.dishonest.correction"}]))
    verdict, sections = check(kb, messages)
    procedure = kb.records["credit.dishonest.correction"]
    assert verdict == [procedure.title, f"办理机关：{procedure.authority}"]
    labels = [label for label, _ in sections]
    assert labels[:3] == ["适用条件", "怎么办", "结果"]
    assert sections[1][1][0] == "1. " + procedure.steps[0]


@pytest.mark.parametrize("entities, crimes", [
    ([{"entity": "kb_id", "value": "criminal.safety.major_accident"}], ["重大责任事故罪"]),
])
def test_criminal_risk_answers_with_the_crime_and_penalty_first(kb, entities, crimes):
    messages, _ = run(criminal_risk.ActionCriminalRisk(), tracker_with("s-criminal", "工人出事故老板会坐牢吗", entities))
    verdict, sections = check(kb, messages)
    risk = kb.records[entities[0]["value"]]
    assert verdict == [f"可能涉及：{crimes[0]}（{risk.area}）", f"刑罚：{risk.penalty_summary}"]
    assert [label for label, _ in sections][:2] == ["常见行为", "怎么防范"]


def test_criminal_risk_overview_keeps_every_area_in_a_section(kb):
    messages, _ = run(criminal_risk.ActionCriminalRisk(), tracker_with("s-criminal", "企业有哪些刑事风险", []))
    verdict, sections = check(kb, messages)
    areas = dict(sections)["各领域的罪名"]
    assert any(line.startswith("· 安全生产：") for line in areas) and any(line.startswith("· 税收") for line in areas)


@pytest.mark.parametrize("region, expected", [("来宾市", "guide.litigation_info.laibin"),
                                              ("南宁市", "guide.litigation_info.elsewhere")])
def test_litigation_info_splits_the_guide_into_labelled_sections(kb, region, expected):
    messages, _ = run(litigation_info.ActionLitigationInfo(), tracker_with("s-credit", "官司影响贷款怎么办", [],
                                                                             region=region))
    verdict, sections = check(kb, messages)
    guide = kb.records[expected]
    assert verdict[0] == guide.subject
    custom = [m for m in messages if m.get("custom")][-1]["custom"]
    assert custom["kb_ids"][0] == expected
    if region == "来宾市":
        assert len(verdict) == 1 and "怎么申请（三种方式任选）" in dict(sections)
        assert dict(sections)["多久出结果"][0].startswith("法院收到申请书后")
    else:
        assert verdict[1].startswith("参考：来宾市") and "guide.litigation_info.laibin" in custom["kb_ids"]
    # every paragraph of the guide is still there, once
    text = "\n".join(line for _, body in sections for line in body)
    for paragraph in guide.body:
        assert paragraph.split("：", 1)[-1] in text
