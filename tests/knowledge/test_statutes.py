"""Every quote the assistant can show is character for character the official text."""
import os
from pathlib import Path

import pytest

from knowledge.statutes import MANIFEST, TEXTS_DIR, load_statutes, parse_articles, sha256

ROOT = Path(__file__).resolve().parents[2]


def shared_laws_dir() -> Path | None:
    for cand in (os.environ.get("HEGUI_LAWS_DIR"), ROOT.parent / "shared" / "laws", Path("/work/shared/laws")):
        if cand and Path(cand).is_dir():
            return Path(cand)
    return None


def test_vendored_texts_are_the_recorded_official_copies():
    laws = load_statutes()
    assert len(laws) >= 60
    for law in laws.values():
        assert sha256(TEXTS_DIR / law.source) == law.sha256, law.source


def test_vendored_texts_equal_the_shared_official_texts_when_present():
    shared = shared_laws_dir()
    laws = load_statutes()
    if shared is None:
        # a clone outside the workplace: the manifest hashes (test above) were taken from the official copies
        assert MANIFEST.exists()
        return
    for law in laws.values():
        assert (shared / law.source).read_bytes() == (TEXTS_DIR / law.source).read_bytes(), law.source


def test_every_citation_quote_is_verbatim_in_its_article(kb):
    checked = 0
    for rec in kb.records.values():
        for c in rec.citations:
            text = kb.statutes[c.law].article(c.article)
            assert text is not None, f"{rec.id}: {c.law} has no {c.article}"
            assert c.quote in text, f"{rec.id}: quote not verbatim in {c.law} {c.article}"
            checked += 1
    for p in kb.parameters:
        for ref in p.all_references():
            assert ref.quote in kb.statutes[ref.law].article(ref.article), p.name
            checked += 1
    assert checked > 1000


def test_article_labels_parse_like_the_official_text():
    text = "<!-- INFO END -->\n## 第一章\n\n第一条 甲。\n\n乙。\n\n第二百七十六条之一 丙。\n\u200b\n# 附则\n"
    arts = parse_articles(text)
    assert arts == {"第一条": "甲。\n乙。", "第二百七十六条之一": "丙。"}


def test_duplicate_article_label_is_an_error():
    with pytest.raises(ValueError):
        parse_articles("<!-- INFO END -->\n第一条 甲。\n第一条 乙。\n")


def test_known_articles_are_where_the_law_puts_them():
    laws = load_statutes()
    assert laws["行政处罚法"].article("第三十三条").startswith("违法行为轻微并及时改正，没有造成危害后果的，不予行政处罚。")
    assert "第二百七十六条之一" in laws["刑法"].articles
    assert laws["民事诉讼法"].article("第二百零五条").startswith("经依法设立的调解组织调解达成调解协议，申请司法确认的")
    assert laws["诉讼费用交纳办法"].version == "2006-12-19"
