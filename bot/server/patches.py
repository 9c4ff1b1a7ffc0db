"""Every change this project makes to Rasa's and Sanic's internals, in one place. Each is
a replacement of a function or method, made once when a Rasa server process starts
(`install`), with its reason beside it. They were written against the versions of
bot.server.versions, which the server checks before it imports this module.

What the Rasa server gets from them:
1. An answer whatever happens (`_install_action_fallback`). Rasa 3.6 waits up to a
   hard-coded 300 s for a custom action, and when the action server is down or fails it
   logs "Bot will continue, but the actions events are lost" and the user gets no reply at
   all. Every answer of this assistant comes from a custom action, so here a custom action
   that fails or takes longer than BOT_ACTION_TIMEOUT seconds is replaced by the
   `utter_lookup_service_unavailable` response, and the failure is logged.
2. A failing conversation store reported, not replaced by memory (`_install_strict_tracker_store`).
3. Cheaper custom action calls (`_install_action_calls`): the response checked with a
   validator built once; the current turn's events only; kept-alive connections.
4. Event types looked up once (`_install_event_type_cache`).
5. Several Sanic workers sharing the load evenly, each on its own socket
   (`_install_own_sockets`, bot.server.connection_shares), and a clear exit, naming the
   port, when the server cannot listen on it (`_install_port_check`).
6. A newly trained model taken up while serving (`_install_model_watch`, bot.server.model_reload).
7. Conversations handed to staff (`_install_handoff`, bot.server.handoff): the desk sees a
   user message before the assistant, `action_request_person` runs in the server, and
   each process sends staff messages to users on the channels it holds.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import rasa
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core import run as rasa_run
from rasa.core.actions import action as rasa_actions
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from sanic.server import runners

from bot.knowledge.response_names import lookup_response
from bot.knowledge.routing import REQUEST_PERSON_ACTION
from bot.server import connection_shares, handoff, model_reload
from bot.server.versions import check_versions, installed_versions
from bot.settings import Settings

logger = logging.getLogger(__name__)

_installed = False


def install(settings: Settings) -> None:
    """Applies every patch, once per process, after checking the versions."""
    global _installed
    if _installed:
        return
    check_versions(installed_versions())
    _install_action_fallback(settings.action_timeout)
    _install_strict_tracker_store()
    _install_action_calls()
    _install_event_type_cache()
    _install_port_check()
    _install_model_watch(settings.model_check_seconds)
    _install_handoff()
    if settings.server.workers > 1:
        _install_own_sockets(settings.server.workers)
    _installed = True


# 1. An answer whatever happens.

SERVICE_UNAVAILABLE = lookup_response("service_unavailable")


def _install_action_fallback(timeout: float) -> None:
    """Wraps RemoteAction.run: a time limit, and a reply instead of silence on failure."""
    original = rasa_actions.RemoteAction.run

    async def run_with_fallback(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Any]:
        try:
            return await asyncio.wait_for(original(self, output_channel, nlg, tracker, domain), timeout)
        except rasa_actions.ActionExecutionRejection:
            raise  # a form declining a message: Rasa's normal flow, not a failure
        except (asyncio.TimeoutError, RasaException, ValidationError) as error:
            reason = str(error) or f"no answer within {timeout:.1f} s"
            logger.error("Custom action '%s' failed: %s. The user was told the service is unavailable.",
                         self.name(), reason)
            message = await nlg.generate(SERVICE_UNAVAILABLE, tracker, output_channel.name())
            return [rasa_actions.create_bot_utterance(message)] if message else []

    rasa_actions.RemoteAction.run = run_with_fallback


# 2. A failing conversation store reported.

def _install_strict_tracker_store() -> None:
    """Rasa wraps the tracker store in a FailSafeTrackerStore. When the database fails, that
    wrapper hands the processor no conversation (so the user is answered without context)
    and keeps the new one in memory, where it is lost, with only a log line. Unwrapped, the
    store's error reaches the channel, which tells the user the service is unavailable and
    logs why (bot.server.channels.replies); the health check reports it too."""
    def create_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
        if store is None:
            return InMemoryTrackerStore(domain)
        store.domain = domain
        return store

    Agent._create_tracker_store = staticmethod(create_tracker_store)


# 3. Cheaper custom action calls, keeping their behaviour:
# - The action server's response is checked against Rasa's own schema with a validator
#   built once. Rasa 3.6 calls `jsonschema.validate`, which checks the schema itself before
#   every response: a third of the server's time under load (py-spy). A malformed response
#   is still rejected, with Rasa's error.
# - The call carries the events of the current turn only (from the latest user message
#   on), not the whole conversation, so a turn costs the same at message 150 as at message
#   10. Slots, the latest message and the active form travel in the tracker state as
#   before. Our actions read nothing older: the form's validation reads the slot events at
#   the end of the turn (rasa_sdk's `slots_to_validate`).
# - An endpoint with `keep_connections_alive: true` in endpoints.yml (the action server's)
#   is called through one HTTP session, and its kept-alive connections, per server process.
#   Rasa 3.6 opens a new session and a new connection for every call, which both servers
#   pay for on every message. An idle connection is dropped after KEPT_ALIVE_SECONDS, well
#   before the action server closes it (Sanic's 5 s), so that no call is sent on a
#   connection the server is closing. The sessions are closed when the server stops.

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


def _install_action_calls() -> None:
    RemoteAction._validate_action_result = validate_action_result
    RemoteAction._action_call_format = action_call_format
    rasas_session = EndpointConfig.session

    def session(self: EndpointConfig) -> Any:
        return kept_session(self) if self.kwargs.get(KEEP_ALIVE_KEY) else rasas_session(self)

    EndpointConfig.session = session
    _listen_on_every_app(close_kept_sessions, "after_server_stop")


def _listen_on_every_app(listener: Any, event: str) -> None:
    """Registers a Sanic listener on every app Rasa's `configure_app` makes."""
    configure_app = rasa_run.configure_app

    def configure_app_listening(*args: Any, **kwargs: Any) -> Any:
        app = configure_app(*args, **kwargs)
        app.register_listener(listener, event)
        return app

    rasa_run.configure_app = configure_app_listening


# 4. Event types looked up once.

def _install_event_type_cache() -> None:
    """Makes Rasa's `Event.resolve_by_type` remember what it found. It walks every subclass
    of Event for each event it rebuilds from the conversation store: 5% of a message's time
    (py-spy). Unknown names still get Rasa's default or error."""
    resolve = Event.resolve_by_type
    found: dict[str, type[Event]] = {}

    def resolve_cached(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        event_type = found.get(type_name)
        if event_type is None:
            event_type = resolve(type_name, default)
            if event_type is not None and event_type is not default:
                found[type_name] = event_type
        return event_type

    Event.resolve_by_type = staticmethod(resolve_cached)


# 5. Sanic's sockets.

def _install_port_check() -> None:
    """Sanic 21.12 logs "Unable to start server" when it cannot listen on its port, and the
    process then exits with code 0, as if it had stopped normally: a replica whose port was
    taken looked like one that had quit. Here a single process binds its socket before
    Sanic starts (asyncio listens on it once the model is loaded, as before), and several
    processes' main one reserves it (connection_shares.reserve_port); either exits with
    code 1 and a message naming the port when it cannot."""
    serve = runners.serve

    def serve_on_checked_port(**settings: Any) -> Any:
        host, port = settings.get("host"), settings.get("port")
        if settings.get("sock") is None and not settings.get("unix") and port is not None:
            settings["sock"] = bound_socket(str(host), int(port))
        return serve(**settings)

    runners.serve = serve_on_checked_port  # type: ignore[assignment]
    runners.bind_socket = reserve_port  # type: ignore[attr-defined]


def bound_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, which asyncio's server listens on when it starts serving
    (a client that connects while the model loads is refused, as before)."""
    try:
        return connection_shares.bound(host, port, share=False)
    except OSError as error:
        raise SystemExit(f"error: the Rasa server cannot listen on {host}:{port}: {error}") from error


def reserve_port(host: str, port: int, *, backlog: int = 100) -> socket.socket:
    """connection_shares.reserve_port, exiting with a message naming the port when it fails."""
    try:
        return connection_shares.reserve_port(host, port, backlog=backlog)
    except OSError as error:
        raise SystemExit(f"error: the Rasa server cannot listen on {host}:{port}: {error}") from error


def _install_own_sockets(workers: int) -> None:
    """Makes Sanic's `workers` workers listen on their own sockets and keep their shares of
    the connections even (bot.server.connection_shares says why)."""
    serve = runners.serve
    shares = connection_shares.ConnectionShares(workers)

    def serve_on_own_socket(**settings: Any) -> Any:
        held = settings.get("sock")
        if settings.get("run_multiple") and isinstance(held, socket.socket) \
                and held.family in (socket.AF_INET, socket.AF_INET6):
            settings["sock"] = connection_shares.worker_socket(held, settings.get("backlog", 100))
            settings["reuse_port"] = False  # set on the socket already
            settings["connections"] = connection_shares.CountedConnections(shares, shares.claim_slot())
            settings["app"].register_middleware(connection_shares.close_when_over_share, "response")
            held.close()
        return serve(**settings)

    runners.serve = serve_on_own_socket  # type: ignore[assignment]


# 6. A newly trained model taken up while serving.

def _install_model_watch(interval: float) -> None:
    """Makes each server process, once it has loaded its model file, watch that file for a
    new model (bot.server.model_reload). The file's version is read before loading, so that
    a model replaced during loading is loaded again."""
    load_agent_on_start = rasa_run.load_agent_on_start

    async def load_and_watch(model_path: str, endpoints: Any, remote_storage: Any, app: Any,
                             loop: asyncio.AbstractEventLoop) -> Agent:
        model = Path(model_path)
        served = model_reload.file_version(model)
        agent = await load_agent_on_start(model_path, endpoints, remote_storage, app, loop)
        if model.is_file():
            app.ctx.model_watch = loop.create_task(model_reload.watch_model(agent, model, served, interval))
        return agent

    async def stop_watching(app: Any, _: asyncio.AbstractEventLoop) -> None:
        watch = getattr(app.ctx, "model_watch", None)
        if watch is not None:
            watch.cancel()

    rasa_run.load_agent_on_start = load_and_watch
    _listen_on_every_app(stop_watching, "before_server_stop")


# 7. Conversations handed to staff.

def _install_handoff() -> None:
    """Wraps MessageProcessor.handle_message (which Rasa calls inside the conversation's
    lock) so that the desk sees each message first, runs action_request_person in this
    process instead of on the action server, and starts each process's delivery of staff
    messages once its server runs."""
    handle_message = MessageProcessor.handle_message

    async def handle_message_unless_handed_over(self: MessageProcessor, message: Any) -> Any:
        if await handoff.before_assistant(message):
            return None
        return await handle_message(self, message)

    MessageProcessor.handle_message = handle_message_unless_handed_over
    run = rasa_actions.RemoteAction.run

    async def run_here_or_remotely(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Any]:
        if self.name() == REQUEST_PERSON_ACTION:
            return await asyncio.to_thread(handoff.request_person, tracker, output_channel)
        return await run(self, output_channel, nlg, tracker, domain)

    rasa_actions.RemoteAction.run = run_here_or_remotely

    async def start_delivery(app: Any, loop: asyncio.AbstractEventLoop) -> None:
        app.ctx.handoff_delivery = loop.create_task(handoff.deliver_forever())

    async def stop_delivery(app: Any, _: asyncio.AbstractEventLoop) -> None:
        delivery = getattr(app.ctx, "handoff_delivery", None)
        if delivery is not None:
            delivery.cancel()

    _listen_on_every_app(start_delivery, "after_server_start")
    _listen_on_every_app(stop_delivery, "before_server_stop")
