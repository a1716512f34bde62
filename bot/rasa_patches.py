"""Targeted fixes to Rasa 3.6.21 internals, applied when the server loads our channel.

RemoteAction validates every action-server response with ``jsonschema.validate(result, spec)``, which first
checks the *spec itself* against the JSON-Schema meta-schema and builds a new validator — on every custom-action
call. Profiling a turn with one custom action showed half of Rasa's time there (bench/README "Figures").
The patch validates against the same spec with one validator built (and the spec checked) once; invalid
responses are still rejected with Rasa's own message (tests/bot/test_rasa_patches.py).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import rasa
from jsonschema import ValidationError, validators
from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction

PATCHED_FOR = "3.6.21"


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


def apply() -> None:
    if rasa.__version__ != PATCHED_FOR:  # a different Rasa may have fixed or changed this: do not guess
        return
    RemoteAction._validate_action_result = _validate_action_result


apply()
