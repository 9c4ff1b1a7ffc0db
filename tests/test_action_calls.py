"""The Rasa server's side of a custom action call (bot/server/patches.py): Rasa's response
check, built once, a request that does not grow with the conversation, and one kept-alive
HTTP session per server process."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core import run as rasa_run
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.server import patches
from bot.server.patches import action_call_format, close_kept_sessions, current_turn, validate_action_result

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [ask]
slots:
  topic:
    type: text
    mappings: [{type: custom}]
responses:
  utter_answer: [{text: "an answer"}]
actions: [action_answer, validate_some_form]
""")
SELECTIVE = EndpointConfig("http://127.0.0.1:5055/webhook", enable_selective_domain=True)


def conversation(turns: int) -> DialogueStateTracker:
    events = []
    for turn in range(turns):
        events += [UserUttered(f"question {turn}", {"name": "ask", "confidence": 1.0}),
                   ActionExecuted("action_answer"), BotUttered(f"answer {turn}"),
                   SlotSet("topic", f"topic {turn}"), ActionExecuted("action_listen")]
    events.append(UserUttered("the last question", {"name": "ask", "confidence": 1.0}))
    return DialogueStateTracker.from_events("someone", events, slots=DOMAIN.slots)


@pytest.mark.parametrize("response", [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "topic", "value": "x"}], "responses": [{"text": "hi"}]},
])
def test_a_valid_response_passes(response: dict[str, object]) -> None:
    assert validate_action_result(RemoteAction("action_answer", None), response)


@pytest.mark.parametrize("response", [
    {"events": "not a list"},
    {"events": [{"no": "event type"}]},
    {"events": [{"event": "slot"}]},  # a slot event without the slot's name
    {"responses": [1, 2]},
])
def test_a_malformed_response_is_rejected(response: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        validate_action_result(RemoteAction("action_answer", None), response)


def test_current_turn_starts_at_the_latest_user_message() -> None:
    tracker = conversation(150)
    turn = current_turn(tracker.events)
    assert [type(event) for event in turn] == [UserUttered]
    assert turn[0].text == "the last question"
    assert current_turn([ActionExecuted("action_session_start")]) == [ActionExecuted("action_session_start")]


def test_the_request_is_the_same_size_at_message_150_as_at_message_10() -> None:
    short = action_call_format(RemoteAction("action_answer", SELECTIVE), conversation(9), DOMAIN)
    long = action_call_format(RemoteAction("action_answer", SELECTIVE), conversation(149), DOMAIN)
    assert len(short["tracker"]["events"]) == len(long["tracker"]["events"]) == 1
    assert long["tracker"]["slots"]["topic"] == "topic 148"
    assert long["tracker"]["latest_message"]["text"] == "the last question"
    assert long["next_action"] == "action_answer" and long["sender_id"] == "someone"


def test_the_domain_goes_only_where_it_is_needed() -> None:
    tracker = conversation(1)
    assert "domain" not in action_call_format(RemoteAction("action_answer", SELECTIVE), tracker, DOMAIN)
    assert "domain" in action_call_format(RemoteAction("validate_some_form", SELECTIVE), tracker, DOMAIN)
    assert "domain" in action_call_format(RemoteAction("action_answer", EndpointConfig("http://x")), tracker, DOMAIN)


async def calls_through(endpoint: EndpointConfig, calls: int) -> list[dict[str, Any]]:
    """Makes `calls` calls to a local server through Rasa's EndpointConfig.request; returns
    what the server saw of each. The kept sessions are closed at the end, as when the server
    stops."""
    seen: list[dict[str, Any]] = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append({"client": request.transport.get_extra_info("peername") if request.transport else None,
                     "authorization": request.headers.get("Authorization"), "body": await request.json()})
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        endpoint.url = f"http://127.0.0.1:{port}/webhook"
        for number in range(calls):
            assert await endpoint.request(json={"call": number}, method="post") == {"events": [], "responses": []}
    finally:
        await close_kept_sessions()
        await runner.cleanup()
    return seen


def test_action_calls_reuse_one_connection_with_rasas_headers_and_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    for owner, name in ((EndpointConfig, "session"), (rasa_run, "configure_app"),
                        (RemoteAction, "_validate_action_result"), (RemoteAction, "_action_call_format")):
        monkeypatch.setattr(owner, name, getattr(owner, name))  # restored after the test
    patches._install_action_calls()
    kept = EndpointConfig("http://set-below", basic_auth={"username": "rasa", "password": "secret"},
                          keep_connections_alive=True)
    seen = asyncio.run(calls_through(kept, 3))
    assert [call["body"] for call in seen] == [{"call": 0}, {"call": 1}, {"call": 2}]
    assert len({call["client"] for call in seen}) == 1  # one connection, kept alive
    assert all(call["authorization"] and call["authorization"].startswith("Basic ") for call in seen)
    # Other endpoints (none is configured here) keep Rasa's session: a connection a call.
    assert len({call["client"] for call in asyncio.run(calls_through(EndpointConfig("http://set-below"), 2))}) == 2
