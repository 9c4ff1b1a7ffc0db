"""A local stand-in for Telegram's Bot API and Slack's Web API: records every call and
answers it the way the platform would, so the connectors can be tested offline."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from bot.processes.stack import free_port


@dataclass
class Call:
    method: str  # the API method: sendMessage, chat.postMessage, ...
    fields: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakePlatform:
    port: int
    calls: list[Call] = field(default_factory=list)
    # Seconds the fake waits before answering a call that sends a message, like a slow platform.
    send_delay: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [call for call in self.calls if call.method == method]
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no {method} call within {timeout} s; calls: {[c.method for c in self.calls]}")


def _fields(content_type: str, body: bytes) -> dict[str, Any]:
    if content_type.startswith("application/json"):
        return dict(json.loads(body or b"{}"))
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        return {part.get_param("name", header="content-disposition"): part.get_content()
                for part in message.iter_parts()}
    return dict(parse_qsl(body.decode()))


def _result(method: str, fields: dict[str, Any]) -> dict[str, Any]:
    if method == "sendMessage":  # Telegram answers with the Message it sent
        return {"ok": True, "result": {"message_id": 1, "date": int(time.time()), "text": fields.get("text"),
                                       "chat": {"id": int(fields.get("chat_id", 0)), "type": "private"}}}
    if method == "chat.postMessage":
        return {"ok": True, "channel": fields.get("channel"), "ts": f"{time.time():.6f}"}
    return {"ok": True, "result": True}


@contextmanager
def fake_platform() -> Iterator[FakePlatform]:
    platform = FakePlatform(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            method = self.path.rstrip("/").rsplit("/", 1)[-1]
            fields = _fields(self.headers.get("Content-Type", ""), body)
            if method in ("sendMessage", "chat.postMessage"):
                time.sleep(platform.send_delay)
            platform.calls.append(Call(method, fields, dict(self.headers)))
            answer = json.dumps(_result(method, fields)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", platform.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
