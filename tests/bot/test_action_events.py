"""What a custom action reads of the tracker, and proof that the bounded events Rasa now posts are enough.

Measured: each action runs on a saved tracker that is given a long history in front (30 earlier turns with
answer cards); the events list records every index an action reads. Proved: on those long trackers every
action returns exactly the same messages and events from the bounded window (bot/rasa_patches.py) as from the
whole session.
"""
import asyncio
import copy
import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import compliance, exemption, fallback, fee_relief, forms, handoff, litigation_fee, mediation, routing
from bot.rasa_patches import KEEP_USER_TURNS, action_window_start

TRACKERS = Path(__file__).resolve().parents[1] / "actions" / "trackers"


class ReadRecorder(list):
    """A list of events that remembers the lowest index anyone read."""

    lowest: int

    def __init__(self, items):
        super().__init__(items)
        self.lowest = len(self)

    def _saw(self, i: int) -> None:
        self.lowest = min(self.lowest, i if i >= 0 else len(self) + i)

    def __getitem__(self, i):
        if isinstance(i, slice):
            start = i.indices(len(self))[0]
            if start < len(self):
                self._saw(start)
        else:
            self._saw(i)
        return super().__getitem__(i)

    def __iter__(self):
        for i in range(len(self)):
            self._saw(i)
            yield super().__getitem__(i)

    def __reversed__(self):
        for i in range(len(self) - 1, -1, -1):
            self._saw(i)
            yield super().__getitem__(i)


def old_turns(n: int = 30) -> list[dict]:
    """Earlier turns of the session: a question, an answer card, its last_answer slot."""
    out = []
    for i in range(n):
        out += [
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": f"以前的问题{i}", "parse_data": {"intent": {"name": "ask_compliance"}}},
            {"event": "action", "name": "action_answer_compliance"},
            {"event": "bot", "text": f"【旧回答{i}】", "data": {"custom": {"topic": "compliance", "kb_ids": ["x"]}}},
            {"event": "slot", "name": "last_answer", "value": {"topic": "compliance", "kb_ids": ["x"]}},
        ]
    return out


def long_state(name: str, tail: list[dict] | None = None, active_loop: str | None = None, **slots) -> dict:
    state = copy.deepcopy(json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8")))
    state["slots"].update(slots)
    events = state["events"]
    first_user = next(i for i, e in enumerate(events) if e["event"] == "user")
    state["events"] = events[:first_user] + old_turns() + events[first_user:] + (tail or [])
    if active_loop:
        state["active_loop"] = {"name": active_loop}
    return state


def form_in_progress() -> tuple[list[dict], dict]:
    """The fee form started five user turns ago and has asked for the amount four times since."""
    tail = [{"event": "action", "name": "fee_form"}, {"event": "active_loop", "name": "fee_form"},
            {"event": "slot", "name": "requested_slot", "value": "case_type"}]
    for i in range(4):
        tail += [{"event": "action", "name": "action_listen"},
                 {"event": "user", "text": f"乱答{i}", "parse_data": {"intent": {"name": "nonsense"}}},
                 {"event": "action", "name": "fee_form"},
                 {"event": "slot", "name": "requested_slot", "value": "amount"},
                 {"event": "bot", "text": "请问涉及金额是多少？"}]
    return tail, {"requested_slot": "amount", "case_type": "property"}


def run(action, state: dict, recorder: bool = False):
    t = Tracker.from_dict(copy.deepcopy(state))
    if recorder:
        t.events = ReadRecorder(t.events)
    d = CollectingDispatcher()
    result = action.run(d, t, {})
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return (d.messages, result), t.events


def bounded(state: dict) -> dict:
    out = copy.deepcopy(state)
    start = action_window_start(out["events"], (out.get("active_loop") or {}).get("name"))
    out["events"] = out["events"][start:]
    return out


FORM_TAIL, FORM_SLOTS = form_in_progress()
CASES = {
    "compliance": (compliance.ActionAnswerCompliance(), long_state("t2")),
    "fee answer": (litigation_fee.ActionFeeAnswer(), long_state("t3")),
    "fee form validation": (litigation_fee.ValidateFeeForm(), long_state("t3", FORM_TAIL, "fee_form", **FORM_SLOTS)),
    "exemption": (exemption.ActionExemptionAnswer(), long_state(
        "t5", violation="market.price.no_price_tag", first_violation="true", harm="minor", corrected="true")),
    "relief": (fee_relief.ActionReliefAnswer(), long_state("s-relief", party_type="enterprise",
                                                           circumstance=["temporary_shortage"])),
    "mediation": (mediation.ActionMediationAnswer(), long_state("s-med")),
    "why": (fallback.ActionExplainBasis(), long_state("s-why")),
    "handoff": (handoff.ActionHandoff(), long_state("t2")),
    "inform after an answer": (routing.ActionHandleInform(), long_state("t3")),
    "slot help mid-form": (forms.ActionSlotHelp(), long_state("t3", FORM_TAIL, "fee_form", **FORM_SLOTS)),
    "restart form": (forms.ActionRestartForm(), long_state("t3")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_action_reads_nothing_before_the_window_and_answers_the_same_from_it(case):
    action, state = CASES[case]
    full, read = run(action, state, recorder=True)
    start = action_window_start(state["events"], (state.get("active_loop") or {}).get("name"))
    assert start > 5 * 25  # the earlier turns (5 events each) are outside the window
    assert read.lowest >= start, f"{case} read event {read.lowest}, window starts at {start}"
    assert run(action, bounded(state))[0] == full


def test_slot_help_counts_the_questions_since_the_form_started_even_beyond_the_last_turns():
    state = CASES["slot help mid-form"][1]
    (messages, _), _ = run(forms.ActionSlotHelp(), bounded(state))
    assert "停下" in messages[0]["text"]  # asked four times: offers to stop
    only_last_turns = copy.deepcopy(state)
    only_last_turns["events"] = only_last_turns["events"][action_window_start(state["events"], None):]
    t = Tracker.from_dict(only_last_turns)
    assert forms.times_asked(t, "amount") < forms.times_asked(Tracker.from_dict(state), "amount") == 4


def test_the_window_is_the_last_turns_or_the_active_form_whichever_starts_earlier():
    events = [{"event": "user"}, {"event": "bot"}] * 10
    assert action_window_start(events, None) == 20 - 2 * KEEP_USER_TURNS
    assert action_window_start(events[:4], None) == 0  # fewer turns than kept: everything
    with_form = events[:4] + [{"event": "active_loop", "name": "fee_form"}] + events[4:] + \
        [{"event": "active_loop", "name": "action_two_stage_fallback"}, {"event": "active_loop", "name": None}]
    assert action_window_start(with_form, "fee_form") == 4
    assert action_window_start(with_form, None) == len(with_form) - 2 - 2 * KEEP_USER_TURNS


def test_rasa_posts_the_bounded_events_and_the_whole_state():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    import bot.rasa_patches as patches

    assert RemoteAction._action_call_format is patches._action_call_format
    domain = Domain.from_dict({"slots": {"region": {"type": "any", "mappings": []}}})
    events = [ActionExecuted("action_listen"), UserUttered("来自柳州"), SlotSet("region", "柳州市")]
    for i in range(20):
        events += [ActionExecuted("action_listen"), UserUttered(f"问题{i}", {"name": "ask_compliance"}),
                   BotUttered(f"回答{i}", {"custom": {"topic": "compliance"}})]
    tracker = DialogueStateTracker.from_events("long", events, domain.slots)
    body = RemoteAction("action_answer_compliance", EndpointConfig("http://x"))._action_call_format(tracker, domain)
    sent = body["tracker"]["events"]
    assert [e["event"] for e in sent].count("user") == KEEP_USER_TURNS and sent[0]["event"] == "user"
    assert sent[-1]["text"] == "回答19"
    assert body["tracker"]["slots"]["region"] == "柳州市"  # set long before the window: slots are whole
    assert body["tracker"]["latest_message"]["text"] == "问题19" and body["next_action"] == "action_answer_compliance"
