"""What a custom action call costs the Rasa server: two changes to Rasa's RemoteAction that
keep its behaviour (issue #10).

1. The action server's response is checked against Rasa's own schema with a validator built
   once. Rasa 3.6 calls `jsonschema.validate`, which checks the schema itself before every
   response: a third of the server's time under load (py-spy). A malformed response is still
   rejected, with Rasa's error.
2. The call carries the events of the current turn only (from the latest user message on),
   not the whole conversation, so a turn costs the same at message 150 as at message 10.
   Slots, the latest message and the active form travel in the tracker state as before. Our
   actions read nothing older: the form's validation reads the slot events at the end of
   the turn (rasa_sdk's `slots_to_validate`).

`install()` applies both; bot.rasa_server calls it before Rasa starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import rasa
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

_SCHEMA = RemoteAction.action_response_format_spec()
_VALIDATOR_CLASS = validator_for(_SCHEMA)
_VALIDATOR_CLASS.check_schema(_SCHEMA)
_RESPONSE_VALIDATOR = _VALIDATOR_CLASS(_SCHEMA)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's check of an action server response (same schema, same error), compiled once."""
    error = best_match(_RESPONSE_VALIDATOR.iter_errors(result))
    if error is None:
        return True
    error.message += (". Failed to validate Action server response from API, make sure your response from the "
                      "Action endpoint is valid.")
    raise error


def current_turn(events: Sequence[Event]) -> list[Event]:
    """The events from the latest user message on (all of them before the first one)."""
    turn: list[Event] = []
    for event in reversed(events):
        turn.append(event)
        if isinstance(event, UserUttered):
            break
    turn.reverse()
    return turn


def action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    """Rasa's request to the action server (RemoteAction._action_call_format), with the
    current turn's events only."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in current_turn(tracker.events)]
    result = {"next_action": self.name(), "sender_id": tracker.sender_id, "tracker": state,
              "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
    RemoteAction._action_call_format = action_call_format

