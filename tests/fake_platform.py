"""A local stand-in for Telegram's Bot API, Slack's Web API and WeChat's API (access token,
customer-service messages): records every call and answers it the way the platform would,
so the connectors can be tested offline."""

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
from urllib.parse import parse_qsl, urlsplit

from bot.processes.stack import free_port


@dataclass
class Call:
    method: str  # the API method: sendMessage, chat.postMessage, token, send (WeChat's), ...
    fields: dict[str, Any]
    headers: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class FakePlatform:
    port: int
    calls: list[Call] = field(default_factory=list)
    # Seconds the fake waits before answering a call that sends a message, like a slow platform.
    send_delay: float = 0.0
    # WeChat's access tokens: each fetch issues a new one and, as WeChat does, ends the one before.
    wechat_tokens: list[str] = field(default_factory=list)
    wechat_token_valid: bool = True

    def expire_wechat_token(self) -> None:
        """Makes the latest access token invalid, as when it expired or was reset."""
        self.wechat_token_valid = False

    def wechat_sent(self, openid: str) -> list[dict[str, Any]]:
        """The customer-service messages accepted for `openid`."""
        return [call.fields for call in self.calls if call.method == "send" and call.fields.get("touser") == openid
                and call.fields.get("accepted")]

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


def _wechat_result(platform: FakePlatform, method: str, query: dict[str, str], fields: dict[str, Any]
                   ) -> dict[str, Any]:
    if method == "token":
        if query.get("grant_type") != "client_credential" or not query.get("appid") or not query.get("secret"):
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        platform.wechat_tokens.append(f"token-{len(platform.wechat_tokens) + 1}")
        platform.wechat_token_valid = True
        return {"access_token": platform.wechat_tokens[-1], "expires_in": 7200}
    current = platform.wechat_tokens[-1] if platform.wechat_tokens and platform.wechat_token_valid else None
    if query.get("access_token") != current:
        return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
    if method == "send" and (problem := _wechat_limit_broken(fields)):
        return {"errcode": 45002, "errmsg": f"content size out of limit: {problem}"}
    fields["accepted"] = True
    return {"errcode": 0, "errmsg": "ok"}


def _wechat_limit_broken(fields: dict[str, Any]) -> str | None:
    """What of a customer-service message is over WeChat's limits (its API documentation)."""
    def size(text: Any) -> int:
        return len(str(text or "").encode())
    if fields.get("msgtype") == "text" and size(fields["text"]["content"]) > 2048:
        return "text over 2048 bytes"
    if fields.get("msgtype") == "msgmenu":
        menu = fields["msgmenu"]
        if size(menu.get("head_content")) > 1024 or size(menu.get("tail_content")) > 1024:
            return "menu text over 1024 bytes"
        if len(menu["list"]) > 10:
            return "more than 10 choices"
        if any(not 1 <= size(item["id"]) <= 64 or not 1 <= size(item["content"]) <= 128 for item in menu["list"]):
            return "a choice's id over 64 bytes or its words over 128"
    return None


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
        def do_GET(self) -> None:  # noqa: N802 - WeChat's token
            self._answer(b"")

        def do_POST(self) -> None:  # noqa: N802
            self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _answer(self, body: bytes) -> None:
            url = urlsplit(self.path)
            method = url.path.rstrip("/").rsplit("/", 1)[-1]
            query = dict(parse_qsl(url.query))
            wechat = "/cgi-bin/" in url.path
            fields = json.loads(body or b"{}") if wechat else _fields(self.headers.get("Content-Type", ""), body)
            if method in ("sendMessage", "chat.postMessage", "send"):
                time.sleep(platform.send_delay)
            result = _wechat_result(platform, method, query, fields) if wechat else _result(method, fields)
            platform.calls.append(Call(method, fields, dict(self.headers), query))
            answer = json.dumps(result).encode()
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
