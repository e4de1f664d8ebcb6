"""The prebuilt validator checks action-server responses exactly as Rasa's own check does."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from channels import speedups

GOOD = {"events": [{"event": "slot", "name": "awaiting", "value": "offer"}],
        "responses": [{"text": "hello", "buttons": [], "custom": {"type": "step"}}]}
BAD = [{"events": "not a list"}, {"events": [{"no_event_key": 1}]}, {"events": [{"event": 5}]}, {"responses": "x"}]


@pytest.fixture(scope="module")
def installed():
    original = RemoteAction._validate_action_result
    speedups.install()
    yield RemoteAction._validate_action_result
    RemoteAction._validate_action_result = original
    speedups._INSTALLED["done"] = False


def test_good_responses_pass_and_bad_ones_fail_as_before(installed):
    action = RemoteAction("action_x", None)
    assert installed is not None and action._validate_action_result(GOOD)
    for result in BAD:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(result, RemoteAction.action_response_format_spec())
        with pytest.raises(jsonschema.ValidationError):
            action._validate_action_result(result)
