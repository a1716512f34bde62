"""The fact table (fact_table.yml): a message that states a fact is never asked for it.

Each case runs the form's first turn the way Rasa runs it (tests/actions/conversation.py): the project's entity
extractor on the message, the registry's slot mappings, the form's validation action, then the answer action when
nothing is asked.  The table is per form and slot; a form that has what it needs answers on the first reply.
"""
from pathlib import Path

import pytest
import yaml

from actions.registry import registry
from tests.actions.conversation import first_turn

CASES = yaml.safe_load((Path(__file__).with_name("fact_table.yml")).read_text(encoding="utf-8"))["cases"]


def _id(case: dict) -> str:
    return f"{case['form']}:{case['message'][:24]}"


def _same(expected, actual) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) and actual is not None:
        return float(actual) == float(expected)
    if isinstance(expected, list):
        return set(expected) <= set(actual or [])
    return expected == actual


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_a_stated_fact_is_taken_and_never_asked(case, kb):
    turn = first_turn(case["form"], case["message"], intent=case.get("intent"))
    for slot, value in case["facts"].items():
        assert _same(value, turn.slots.get(slot)), (slot, value, turn.slots.get(slot))
        assert turn.requested != slot, f"asked for {slot}, which the message states"
    if case["reply"] == "answer":
        assert turn.requested is None, f"asked for {turn.requested} instead of answering"
        card = turn.card()
        assert card and card["topic"] == registry().forms[case["form"]].topic, turn.messages
    else:
        assert turn.requested == case["reply"].removeprefix("ask:")
        assert not turn.card()
    if "fee" in case:
        assert turn.card()["data"]["fee_max"] == case["fee"]
    text = "\n".join(m.get("text") or "" for m in turn.messages)
    for words in case.get("says", []):
        assert words in text, (words, text)


def test_the_table_covers_every_slot_of_every_form():
    stated = {(c["form"], s) for c in CASES for s in c["facts"]}
    for form in registry().forms.values():
        missing = [s for s in form.slots if (form.name, s) not in stated and s not in ("mitigating", "refunded", "violation")]
        assert not missing, (form.name, missing)


@pytest.mark.parametrize("form", [f for f in registry().forms])
def test_a_form_asks_at_most_one_question_before_answering(form, kb):
    """Asked only when no correct answer exists without it, and then exactly one question per turn."""
    asks = [c for c in CASES if c["form"] == form and c["reply"] != "answer"]
    for case in asks:
        turn = first_turn(form, case["message"], intent=case.get("intent"))
        assert sum(1 for m in turn.messages if m.get("text") and not m.get("custom")) <= 1
