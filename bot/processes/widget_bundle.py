"""Prepares the chat widget's browser bundle for the page, so that it loads nothing from
other hosts.

rasa-webchat 1.0.1's bundle `@import`s a Google font from its CSS; the page uses system
fonts instead, so the import is removed. A bundle that still names an outside host after
that is refused: a new version must be looked at before it is served.

Its socket.io client starts on HTTP long-polling, whose requests must all reach the server
process that holds the session; with several Rasa server processes on one port they do not.
So the client is set to WebSocket only: one connection, served by one process throughout.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.errors import BotError

FONT_IMPORT = re.compile(r"@import url\(https://fonts\.googleapis\.com/[^)]*\);")
FORBIDDEN = ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.jsdelivr.net", "unpkg.com")
# The options rasa-webchat 1.0.1 gives socket.io's io(url, options): the path only.
SOCKET_OPTIONS = "var r=n?{path:n}:{}"
WEBSOCKET_ONLY = 'var r=n?{path:n,transports:["websocket"]}:{transports:["websocket"]}'


def build_widget_bundle(source: Path, target: Path) -> int:
    """Writes `source` without its font imports and with a WebSocket-only client to
    `target`; returns how many font imports were removed."""
    if not source.exists():
        raise BotError(f"{source} is missing; install the widget with `make web` (npm ci in web/)")
    bundle, removed = FONT_IMPORT.subn("", source.read_text(encoding="utf-8"))
    left = [host for host in FORBIDDEN if host in bundle]
    if left:
        raise BotError(f"{source} still refers to {', '.join(left)} after removing the font imports; "
                       "check this widget version before serving it")
    if bundle.count(SOCKET_OPTIONS) != 1:
        raise BotError(f"{source}: the socket.io options {SOCKET_OPTIONS!r} were not found exactly once; "
                       "check this widget version before serving it")
    bundle = bundle.replace(SOCKET_OPTIONS, WEBSOCKET_ONLY)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(bundle, encoding="utf-8")
    return removed
