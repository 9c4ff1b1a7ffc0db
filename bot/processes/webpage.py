"""Serves the assistant's web page: an introduction and the chat widget; and, under
/staff/, the staff console (bot.review.console), which the page never links to.

A small static server on its own port (BOT_WEB_PORT, 8080). It serves a fixed list of
files and nothing else, and a Content-Security-Policy that lets the page talk to its own
origin and the Rasa server's socket.io channel only.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from bot.errors import BotError
from bot.review.console import PREFIX as STAFF_PREFIX
from bot.review.console import StaffConsole
from bot.review.http import Request
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

WEB_DIR = PROJECT_ROOT / "web"
WIDGET_BUNDLE = PROJECT_ROOT / "build" / "web" / "webchat.js"
# The largest form the staff console accepts.
MAX_FORM_BYTES = 65_536

# URL path -> (file, content type). Nothing outside this list is served.
FILES = {
    "/": (WEB_DIR / "index.html", "text/html; charset=utf-8"),
    "/assets/page.css": (WEB_DIR / "page.css", "text/css; charset=utf-8"),
    "/assets/chat.js": (WEB_DIR / "chat.js", "text/javascript; charset=utf-8"),
    "/assets/webchat.js": (WIDGET_BUNDLE, "text/javascript; charset=utf-8"),
}


@dataclass(frozen=True)
class PageConfig:
    host: str
    port: int
    rasa_port: int
    # Where the widget's socket.io channel is; empty: the page's own host name at rasa_port.
    socket_url: str = ""
    # The staff console under /staff/; None: not served.
    console: StaffConsole | None = None

    def socket_url_for(self, page_host: str) -> str:
        """The socket.io URL for a page requested with the Host header `page_host`."""
        if self.socket_url:
            return self.socket_url
        hostname = urlsplit(f"//{page_host}").hostname or "localhost"
        hostname = f"[{hostname}]" if ":" in hostname else hostname
        return f"http://{hostname}:{self.rasa_port}"


def content_security_policy(socket_url: str) -> str:
    websocket_url = socket_url.replace("http", "ws", 1)
    return "; ".join([
        "default-src 'self'",
        f"connect-src 'self' {socket_url} {websocket_url}",
        "img-src 'self' data:",
        # The widget injects its styles at run time.
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
    ])


def _handler(config: PageConfig) -> type[BaseHTTPRequestHandler]:
    class PageHandler(BaseHTTPRequestHandler):
        server_version = "certificate-assistant"

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            self._respond(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(send_body=False)

        def do_POST(self) -> None:  # noqa: N802
            if not urlsplit(self.path).path.startswith(STAFF_PREFIX) or config.console is None:
                self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)
                return
            declared = self.headers.get("Content-Length") or "0"
            if not declared.isdigit():
                self.send_error(HTTPStatus.BAD_REQUEST, "Content-Length must be a number of bytes")
                return
            length = int(declared)
            if length > MAX_FORM_BYTES:
                self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                return
            self._console(self.rfile.read(length), send_body=True)

        def _console(self, body: bytes, send_body: bool) -> None:
            assert config.console is not None
            # Header names as browsers write them, whatever the case they were sent in.
            headers = {name.title(): value for name, value in self.headers.items()}
            try:
                response = config.console.handle(Request(self.command if self.command != "HEAD" else "GET",
                                                         self.path, headers, body, self.client_address[0]))
            except Exception:  # a defect: the staff get a plain error and the log the traceback
                logger.exception("staff console: %s %s failed", self.command, urlsplit(self.path).path)
                self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR)
                return
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if send_body:
                self.wfile.write(response.body)

        def _respond(self, send_body: bool) -> None:
            path = urlsplit(self.path).path
            if config.console is not None and (path.startswith(STAFF_PREFIX) or path == STAFF_PREFIX.rstrip("/")):
                if path == STAFF_PREFIX.rstrip("/"):
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", STAFF_PREFIX)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._console(b"", send_body)
                return
            socket_url = config.socket_url_for(self.headers.get("Host", ""))
            if path == "/config.js":
                settings = {"socketUrl": socket_url}
                body = f"window.ASSISTANT_CONFIG = {json.dumps(settings)};\n".encode()
                content_type = "text/javascript; charset=utf-8"
            elif path in FILES:
                file, content_type = FILES[path]
                try:
                    body = file.read_bytes()
                except FileNotFoundError:
                    self.send_error(HTTPStatus.SERVICE_UNAVAILABLE, f"{file.name} has not been built; run make web")
                    return
            else:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", content_security_policy(socket_url))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # requests are not logged: the page has nothing worth a log line per file

    return PageHandler


@contextmanager
def serve_page(config: PageConfig) -> Iterator[str]:
    """Serves the page in a background thread until the block ends; yields its URL."""
    try:
        server = ThreadingHTTPServer((config.host, config.port), _handler(config))
    except OSError as error:
        raise BotError(f"cannot serve the web page on {config.host}:{config.port}: {error.strerror}") from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="web-page", daemon=True)
    thread.start()
    try:
        yield f"http://{'localhost' if config.host in ('127.0.0.1', '::1') else config.host}:{config.port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
