"""The cached action-response validation accepts what Rasa accepts and rejects what it rejects."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import bot.rasa_patches as patches


def test_the_patch_is_applied_for_the_pinned_rasa():
    assert RemoteAction._validate_action_result is patches._validate_action_result


@pytest.mark.parametrize("result", [
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi", "custom": {"a": [1]}}]},
    {"events": [], "responses": []},
])
def test_valid_responses_pass(result):
    assert RemoteAction._validate_action_result(RemoteAction.__new__(RemoteAction), result)


@pytest.mark.parametrize("result", [
    {"events": [{"no_event_key": 1}], "responses": []},
    {"events": "not a list", "responses": []},
])
def test_invalid_responses_are_rejected_with_rasas_message(result):
    with pytest.raises(ValidationError) as e:
        RemoteAction._validate_action_result(RemoteAction.__new__(RemoteAction), result)
    assert "Failed to validate Action server response" in e.value.message
