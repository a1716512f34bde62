"""Every card citing a law whose text here has a later version says so in plain words (one mechanism)."""
from actions import compliance
from actions.cards import Card, Section, citations_for


def test_compliance_card_citing_the_2019_anti_unfair_competition_law(kb):
    card = compliance.render_item(kb.records["market.competition.confusion"])
    text = card.text()
    assert "版本提示" in text and "2025年10月15日起施行" in text
    # in the 法律依据 section, after the basis line
    assert text.index("▍法律依据") < text.index("版本提示") < text.index("不构成法律意见")
    assert any(c.get("later_version") for c in card.custom()["citations"])


def test_any_card_citing_the_arbitration_law_says_it_was_revised(kb):
    rid = next(r.id for r in kb.records.values() if any(c.law == "仲裁法" for c in r.citations))
    short = Card(topic="mediation", title="t", body=["b"], citations=citations_for([rid]))
    assert "2026年3月1日起施行" in short.text()
    with_sections = Card(topic="mediation", title="t", body=["b"], sections=[Section("x", ["y"])],
                         citations=citations_for([rid]))
    assert "2026年3月1日起施行" in with_sections.text()


def test_no_note_when_the_text_is_current(kb):
    card = compliance.render_item(kb.records["market.food.expired_food"])
    assert "版本提示" not in card.text()
