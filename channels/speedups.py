"""Two fixed costs of Rasa 3.6 per custom-action call, removed without forking Rasa.

- Rasa checks every action-server response with `jsonschema.validate()`, which first
  re-checks the whole events schema against its meta-schema: about 19 ms a call here. The
  same check runs with a validator built once (the schema is a constant), so responses are
  validated exactly as before.
- (In the endpoints) `enable_selective_domain`: the domain is not sent with every call, as
  no Unknot action reads it.

`install()` is called once the server has started (channels/guarded.py).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Text

logger = logging.getLogger(__name__)
_INSTALLED = {"done": False}


def install() -> None:
    if _INSTALLED["done"]:
        return
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    spec = RemoteAction.action_response_format_spec()
    validator = validator_for(spec)(spec)

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as e:
            e.message += (f". Failed to validate Action server response from API, make sure your response from the "
                          f"Action endpoint is valid. For more information about the format visit "
                          f"{DOCS_BASE_URL}/custom-actions")
            raise e

    RemoteAction._validate_action_result = validate_action_result
    _INSTALLED["done"] = True
    logger.debug("action responses are validated with a prebuilt validator")
