"""What a custom action call costs the Rasa server: three changes to Rasa's action calls that
keep their behaviour (issue #10).

1. The action server's response is checked against Rasa's own schema with a validator built
   once. Rasa 3.6 calls `jsonschema.validate`, which checks the schema itself before every
   response: a third of the server's time under load (py-spy). A malformed response is still
   rejected, with Rasa's error.
2. The call carries the events of the current turn only (from the latest user message on),
   not the whole conversation, so a turn costs the same at message 150 as at message 10.
   Slots, the latest message and the active form travel in the tracker state as before. Our
   actions read nothing older: the form's validation reads the slot events at the end of
   the turn (rasa_sdk's `slots_to_validate`).
3. An endpoint with `keep_connections_alive: true` in endpoints.yml (the action server's)
   is called through one HTTP session, and its kept-alive connections, per server process.
   Rasa 3.6 opens a new session and a new connection for every call, which both servers
   pay for on every message. An idle connection is dropped after KEPT_ALIVE_SECONDS, well
   before the action server closes it (Sanic's 5 s), so that no call is sent on a
   connection the server is closing. The sessions are closed when the server stops.

`install()` applies all three; bot.rasa_server calls it before Rasa starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import aiohttp
import rasa
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core import run as rasa_run
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

KEPT_ALIVE_SECONDS = 2.0

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


KEEP_ALIVE_KEY = "keep_connections_alive"
# The sessions this process keeps, with their event loops, to close when the server stops.
_kept_sessions: list[tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = []


class KeptSession:
    """What `async with endpoint.session()` enters: the endpoint's session for this event
    loop, which leaving the block does not close."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        return None


def kept_session(self: EndpointConfig) -> KeptSession:
    """EndpointConfig.session, made once per endpoint and event loop (same headers, basic
    auth and time limit as Rasa's)."""
    loop = asyncio.get_running_loop()
    kept: tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession] | None = getattr(self, "_kept_session", None)
    if kept is None or kept[0] is not loop or kept[1].closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        kept = (loop, aiohttp.ClientSession(
            headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEPT_ALIVE_SECONDS)))
        self._kept_session = kept
        _kept_sessions.append(kept)
    return KeptSession(kept[1])


async def close_kept_sessions(*_: Any) -> None:
    """Closes the sessions this event loop kept (a Sanic listener when the server stops)."""
    loop = asyncio.get_running_loop()
    for kept in [kept for kept in _kept_sessions if kept[0] is loop]:
        _kept_sessions.remove(kept)
        await kept[1].close()


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
    RemoteAction._action_call_format = action_call_format
    rasas_session = EndpointConfig.session
    if getattr(rasas_session, "kept", False):
        return

    def session(self: EndpointConfig) -> Any:
        return kept_session(self) if self.kwargs.get(KEEP_ALIVE_KEY) else rasas_session(self)

    session.kept = True  # type: ignore[attr-defined]
    EndpointConfig.session = session
    configure_app = rasa_run.configure_app

    def configure_app_closing_sessions(*args: Any, **kwargs: Any) -> Any:
        app = configure_app(*args, **kwargs)
        app.register_listener(close_kept_sessions, "after_server_stop")
        return app

    rasa_run.configure_app = configure_app_closing_sessions
