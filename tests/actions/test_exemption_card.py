"""The exemption card: its title follows the combined verdict, and local lists appear only where they apply."""
import asyncio

import pytest

from actions import exemption
from tests.actions.test_actions import assert_verbatim, card, run, tracker

FAVOURABLE = {"first_violation": "true", "harm": "none", "corrected": "true", "minor_violation": "true"}


def answer(**slots):
    messages, events = run(exemption.ActionExemptionAnswer(), tracker("t5", **slots))
    custom, msg = card(messages)
    return custom, msg["text"], events


def test_an_item_marked_not_exempt_never_gets_a_not_punished_title(kb):
    items = [r for r in kb.records.values() if r.type == "compliance_item" and r.exemption.possible == "none"]
    assert items
    for item in items:
        custom, text, _ = answer(violation=item.id, **FAVOURABLE)
        assert custom["title"] == "能否免罚：通常不能免罚", item.id
        assert not text.splitlines()[0].endswith("不予处罚】")
        assert custom["data"]["outcome"] == "不予处罚" and custom["data"]["verdict"] == "通常不能免罚"


def test_minor_no_harm_corrected_is_must_not_punish_and_first_offence_is_may(kb):
    custom, text, events = answer(violation="market.price.no_price_tag", region="南宁市", **FAVOURABLE)
    assert custom["title"] == "能否免罚：不予处罚"
    assert "“不予”处罚（不是“可以”）" in text
    assert_verbatim(kb, custom["citations"])
    assert any(e["event"] == "slot" and e["name"] == "minor_violation" and e["value"] is None for e in events)
    custom, text, _ = answer(violation="market.price.no_price_tag", region="南宁市",
                             **dict(FAVOURABLE, minor_violation="unknown"))
    assert custom["title"] == "能否免罚：可以不予处罚"
    assert "不是一定不罚" in text and "违法行为本身是否轻微" in text


def test_guangzhou_user_is_not_shown_guangxi_lists(kb):
    custom, text, _ = answer(violation="market.price.no_price_tag", region="天河区", **FAVOURABLE)
    assert "广西" not in text and "59" not in text
    assert "国市监法〔2025〕10号" in text
    assert not [i for i in custom["kb_ids"] if "guangxi" in i]


def test_guangxi_user_with_a_market_item_is_shown_guangxi_counts(kb):
    custom, text, _ = answer(violation="market.price.no_price_tag", region="柳州市", **FAVOURABLE)
    assert "首违不罚事项（59项）" in text and "轻微不罚事项（19项）" in text


@pytest.mark.parametrize("item, hotline", [
    ("labour.contract.no_written_contract", "12333"),
    ("fire.facilities.extinguisher_missing", "12345"),
    ("tourism.agency.safety_warning", "12345"),
])
def test_labour_fire_and_tourism_items_get_no_market_list(kb, item, hotline):
    custom, text, _ = answer(violation=item, region="南宁市", **FAVOURABLE)
    assert "59" not in text and "国市监法" not in text
    assert "没有收录适用于" in text and hotline in text
    assert custom["data"]["lists"] == []


def test_food_item_names_what_the_national_list_is_reported_to_cover(kb):
    _, text, _ = answer(violation="market.food.expired_food", region="天河区", **FAVOURABLE)
    assert "转述，不是清单原文" in text and "500元" in text


def required(**slots):
    form = exemption.ValidateExemptionForm()
    domain_slots = ["violation", "first_violation", "harm", "corrected", "minor_violation"]
    return asyncio.run(form.required_slots(domain_slots, None, tracker("t5", **slots), {}))


def test_the_form_asks_whether_the_act_was_minor_only_when_it_decides():
    assert "minor_violation" in required(harm="none", corrected="true")
    assert "minor_violation" not in required(harm="minor", corrected="true")
    assert "minor_violation" not in required(harm="none", corrected="false")
    assert "minor_violation" not in required()


def test_minor_answer_is_validated():
    v = exemption.ValidateExemptionForm()
    t = tracker("t5")
    assert v.validate_minor_violation("true", None, t, {}) == {"minor_violation": "true"}
    assert v.validate_minor_violation("unknown", None, t, {}) == {"minor_violation": "unknown"}
    assert v.validate_minor_violation("banana", None, t, {}) == {"minor_violation": None}
