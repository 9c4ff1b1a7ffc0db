"""Prepares the chat widget's browser bundle for the page, so that it loads nothing from
other hosts.

rasa-webchat 1.0.1's bundle `@import`s a Google font from its CSS; the page uses system
fonts instead, so the import is removed. A bundle that still names an outside host after
that is refused: a new version must be looked at before it is served.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.errors import BotError

FONT_IMPORT = re.compile(r"@import url\(https://fonts\.googleapis\.com/[^)]*\);")
FORBIDDEN = ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.jsdelivr.net", "unpkg.com")


def build_widget_bundle(source: Path, target: Path) -> int:
    """Writes `source` without its font imports to `target`; returns how many were removed."""
    if not source.exists():
        raise BotError(f"{source} is missing; install the widget with `make web` (npm ci in web/)")
    bundle, removed = FONT_IMPORT.subn("", source.read_text(encoding="utf-8"))
    left = [host for host in FORBIDDEN if host in bundle]
    if left:
        raise BotError(f"{source} still refers to {', '.join(left)} after removing the font imports; "
                       "check this widget version before serving it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(bundle, encoding="utf-8")
    return removed
