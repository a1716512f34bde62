"""Version caveats are data (statute manifest ``later_version``) and reach every answer citing the law."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("law, revised, in_force", [
    ("反不正当竞争法", "2025年6月27日", "2025年10月15日"),
    ("仲裁法", "2025年9月12日", "2026年3月1日"),
])
def test_laws_revised_in_2025_say_so(kb, law, revised, in_force):
    note = kb.statutes[law].later_version
    assert revised in note and in_force in note and "未收录" in note


@pytest.mark.parametrize("law, year, decree", [
    ("最高人民法院关于公布失信被执行人名单信息的若干规定", "2017", "法释〔2017〕7号"),
    ("最高人民法院关于限制被执行人高消费的若干规定", "2015", "法释〔2015〕17号"),
])
def test_enforcement_rules_name_their_later_version(kb, law, year, decree):
    note = kb.statutes[law].later_version
    assert year in note and decree in note and "不是原文" in note


def test_every_citation_of_a_law_with_a_later_version_carries_the_note(kb):
    flagged = {law.title for law in kb.statutes.values() if law.later_version}
    seen = set()
    for rid in kb.records:
        for c in kb.citations_of([rid]):
            if c["law"] in flagged:
                assert c["later_version"], (rid, c["law"])
                seen.add(c["law"])
            else:
                assert "later_version" not in c
    assert {"中华人民共和国反不正当竞争法", "中华人民共和国仲裁法"} <= seen


def test_version_notes_one_line_per_law(kb):
    cites = kb.citations_of(["market.competition.confusion", "market.competition.false_publicity"])
    notes = kb.version_notes(cites)
    assert len(notes) == 1 and "反不正当竞争法" in notes[0] and "2025年10月15日" in notes[0]
    assert kb.version_notes(kb.citations_of(["market.food.expired_food"])) == []


def test_stats_lists_the_caveats_that_reach_users():
    out = subprocess.run([sys.executable, "-m", "knowledge", "stats"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    section = out.stdout.split("version caveats shown to users", 1)[1]
    for title in ("中华人民共和国反不正当竞争法", "中华人民共和国仲裁法", "最高人民法院关于限制被执行人高消费的若干规定"):
        assert f"《{title}》" in section
    assert "2026年3月1日" in section
