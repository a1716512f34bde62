"""Targeted fixes to Rasa 3.6.21 internals, applied when the server loads our channel.

1. Validating action-server responses.

RemoteAction validates every action-server response with ``jsonschema.validate(result, spec)``, which first
checks the *spec itself* against the JSON-Schema meta-schema and builds a new validator — on every custom-action
call. Profiling a turn with one custom action showed half of Rasa's time there (bench/README "Figures").
The patch validates against the same spec with one validator built (and the spec checked) once; invalid
responses are still rejected with Rasa's own message (tests/bot/test_rasa_patches.py).

2. What a custom action receives. RemoteAction posts ``tracker.current_state(EventVerbosity.ALL)``: every event of
the session, serialised and sent on every custom-action call, so a turn cost more the longer the conversation
(issue 15). Our actions read the slots, ``latest_message`` and ``active_loop`` (sent whole, as before) and, of the
events, only: the slot events since the active form was activated (``actions.forms.times_asked``), the last bot
message (``ActionSlotHelp``) and the slot events since the last user message (rasa_sdk's ``slots_to_validate``);
tests/bot/test_action_events.py measures this on the saved trackers. The patch sends the events of the last
``KEEP_USER_TURNS`` user turns plus everything since the active form started; the tracker store keeps every
event, so the history staff read is unchanged.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import rasa
from jsonschema import ValidationError, validators
from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction
from rasa.shared.core.trackers import EventVerbosity

PATCHED_FOR = "3.6.21"
KEEP_USER_TURNS = 3  # user turns (with everything after them) an action sees, besides the active form's events
TWO_STAGE_FALLBACK = "action_two_stage_fallback"  # a loop that interrupts a form without starting a new one


@lru_cache(maxsize=1)
def _response_validator():
    spec = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def _validate_action_result(self, result: dict[str, Any]) -> bool:
    try:
        error = next(iter(_response_validator().iter_errors(result)), None)
        if error is not None:
            raise error
        return True
    except ValidationError as e:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def action_window_start(events: list[Any], active_loop_name: str | None,
                        keep_user_turns: int = KEEP_USER_TURNS) -> int:
    """Index of the first event a custom action is sent: the start of the last ``keep_user_turns`` user turns,
    or earlier, the activation of the active form (the latest ``active_loop`` event naming a loop other than
    the two-stage fallback, which is where ``times_asked`` stops reading)."""
    start, users = len(events), 0
    for i in range(len(events) - 1, -1, -1):
        if _event_type(events[i]) == "user":
            users += 1
            start = i
            if users >= keep_user_turns:
                break
    else:
        start = 0
    if active_loop_name:
        for i in range(len(events) - 1, -1, -1):
            name = _loop_name(events[i])
            if name and name != TWO_STAGE_FALLBACK:
                start = min(start, i)
                break
    return start


def _event_type(event: Any) -> str | None:
    return event.get("event") if isinstance(event, dict) else getattr(event, "type_name", None)


def _loop_name(event: Any) -> str | None:
    if _event_type(event) != "active_loop":
        return None
    return event.get("name") if isinstance(event, dict) else getattr(event, "name", None)


def _action_call_format(self, tracker, domain) -> dict[str, Any]:
    """RemoteAction's request body with the events bounded (docstring, 2.); everything else as Rasa sends it."""
    state = tracker.current_state(EventVerbosity.NONE)
    events = list(tracker.events)
    loop = tracker.active_loop_name
    state["events"] = [e.as_dict() for e in events[action_window_start(events, loop):]]
    result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
              "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


def apply() -> None:
    if rasa.__version__ != PATCHED_FOR:  # a different Rasa may have fixed or changed this: do not guess
        return
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction._action_call_format = _action_call_format


apply()
