"""A local fake of an issuing authority's verification API, for the HTTP registry backend."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RECORD = {
    "certificate_number": "SPM-2022-004417", "holder_name": "Li Xiaoming",
    "certificate_type": "Safety production manager qualification certificate", "level": None,
    "issuer": "Work Safety Bureau", "issued_on": "2022-03-01", "valid_until": "2027-03-01", "status": "valid",
}


class FakeRegistry:
    """Answers POST /verify from a script: each entry is (status, body, delay) for one request."""

    def __init__(self) -> None:
        self.script: list[tuple[int, Any, float]] = []
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body})
                status, payload, delay = fake.script.pop(0) if fake.script else (404, {}, 0.0)
                time.sleep(delay)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"


@contextmanager
def running_registry() -> Iterator[FakeRegistry]:
    registry = FakeRegistry()
    thread = threading.Thread(target=registry.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield registry
    finally:
        registry.server.shutdown()
