"""When the action server is down, failing or slow, the user still gets a clear answer
within 5 seconds, and the Rasa server logs the failure."""

from __future__ import annotations

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

from bot.stack import StackConfig, free_port, rasa_server

ANSWER_WITHIN_SECONDS = 5.0


class FakeActionServer:
    """Stands in for the action server; `mode` decides how it misbehaves."""

    def __init__(self) -> None:
        self.mode = "error"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if fake.mode == "slow":
                    time.sleep(8)
                if fake.mode == "disconnect":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(500 if fake.mode == "error" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

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
    config = StackConfig(model=trained_model, rasa_port=free_port(), action_port=fake.port)
    log_path = tmp_path_factory.mktemp("rasa") / "rasa.log"
    with log_path.open("wb") as log, rasa_server(config, log):
        yield config, log_path


@pytest.fixture(scope="module")
def unavailable(responses: dict[str, str]) -> str:
    return responses["utter_lookup_service_unavailable"]


@pytest.mark.parametrize("mode", ["error", "disconnect", "slow"])
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
    config = StackConfig(model=trained_model, rasa_port=free_port(), action_port=free_port())
    with (tmp_path / "rasa.log").open("wb") as log, rasa_server(config, log):
        reply = requests.post(config.rest_url, json={"sender": "down", "message": "check a certificate"}, timeout=30)
    # The lookup form's validation could not run; the form still asks its first question.
    assert reply.json()[0]["text"] == unavailable
