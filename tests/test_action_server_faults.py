"""When the action server is down, failing, slow or answers something malformed, the user
still gets a clear answer within 5 seconds, and the Rasa server logs the failure. Also what
the Rasa server sends it: the current turn's events, and no domain to the answering action."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.processes.stack import StackConfig, rasa_server
from tests.servers import own_stores, stack_config

ANSWER_WITHIN_SECONDS = 5.0
# What the fake action server answers in each mode (others answer {}).
RESPONSES: dict[str, Any] = {
    "malformed": {"events": [{"no event type": True}], "responses": "not a list"},
    "valid": {"events": [], "responses": [{"text": "from the fake action server"}]},
}


class FakeActionServer:
    """Stands in for the action server; `mode` decides how it misbehaves."""

    def __init__(self) -> None:
        self.mode = "error"
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                fake.requests.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                if fake.mode == "slow":
                    time.sleep(8)
                if fake.mode == "disconnect":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = json.dumps(RESPONSES.get(fake.mode, {})).encode()
                self.send_response(500 if fake.mode == "error" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeActionServer]:
    server = FakeActionServer()
    threading.Thread(target=server.server.serve_forever, daemon=True).start()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def server(trained_model: Path, fake: FakeActionServer,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StackConfig, Path]]:
    folder = tmp_path_factory.mktemp("rasa")
    log_path = folder / "rasa.log"
    with own_stores(folder), log_path.open("wb") as log:
        config = stack_config(trained_model, action_port=fake.port)
        with rasa_server(config, log):
            yield config, log_path


@pytest.fixture(scope="module")
def unavailable(responses: dict[str, str]) -> str:
    return responses["utter_lookup_service_unavailable"]


@pytest.mark.parametrize("mode", ["error", "disconnect", "slow", "malformed"])
def test_user_is_told_the_service_is_unavailable(server: tuple[StackConfig, Path], fake: FakeActionServer,
                                                 unavailable: str, mode: str) -> None:
    config, log_path = server
    fake.mode = mode
    started = time.monotonic()
    reply = requests.post(config.rest_url, json={"sender": f"fault-{uuid.uuid4().hex}",
                                                 "message": "what is a qualification certificate?"}, timeout=30)
    elapsed = time.monotonic() - started
    assert [message["text"] for message in reply.json()] == [unavailable]
    assert elapsed < ANSWER_WITHIN_SECONDS
    assert "Custom action 'action_answer' failed" in log_path.read_text(encoding="utf-8", errors="replace")


def test_nothing_listening(trained_model: Path, tmp_path: Path, unavailable: str) -> None:
    with own_stores(tmp_path), (tmp_path / "rasa.log").open("wb") as log, \
            rasa_server(config := stack_config(trained_model), log):
        reply = requests.post(config.rest_url, json={"sender": "down", "message": "check a certificate"}, timeout=30)
    # The lookup form's validation could not run; the form still asks its first question.
    assert reply.json()[0]["text"] == unavailable


def test_a_malformed_response_is_rejected_with_rasas_error(server: tuple[StackConfig, Path],
                                                            fake: FakeActionServer) -> None:
    config, log_path = server
    fake.mode = "malformed"
    requests.post(config.rest_url, json={"sender": f"malformed-{uuid.uuid4().hex}", "message": "hello"}, timeout=30)
    assert "Failed to validate Action server response" in log_path.read_text(encoding="utf-8", errors="replace")


def test_the_action_server_gets_the_current_turn_only(server: tuple[StackConfig, Path],
                                                      fake: FakeActionServer) -> None:
    config, _ = server
    fake.mode = "valid"
    sender = f"turns-{uuid.uuid4().hex}"
    messages = ["what is a qualification certificate?", "what is a practice licence?",
                "how do I check that a certificate is genuine?"]
    for message in messages:
        reply = requests.post(config.rest_url, json={"sender": sender, "message": message}, timeout=30)
        assert [m["text"] for m in reply.json()] == ["from the fake action server"]
    call = fake.requests[-1]
    events = call["tracker"]["events"]
    user_texts = [event["text"] for event in events if event["event"] == "user"]
    assert user_texts == [messages[-1]]
    assert events[0]["event"] == "user"
    assert call["tracker"]["latest_message"]["text"] == messages[-1]
    # The answering action needs no domain (every answer text in both languages).
    assert call["next_action"] == "action_answer" and "domain" not in call
