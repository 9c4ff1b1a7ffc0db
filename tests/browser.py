"""What the browser tests share: blocking requests to other hosts, and reading and writing
the chat widget."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Route, expect

CHROMIUM = "/usr/bin/chromium"
LOCAL_HOSTS = ("localhost", "127.0.0.1")
WAIT_MS = 30_000


def block_outside_requests(context: BrowserContext) -> list[str]:
    """Blocks every request to a host other than localhost; returns the list it records."""
    blocked: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    return blocked


def first_sentence(text: str) -> str:
    """A stretch of an answer that reads the same in the widget, which renders Markdown."""
    return re.split(r"(?<=[.?!:])\s|(?<=[。？！：])", text, maxsplit=1)[0]


def messages(page: Page) -> Any:
    return expect(page.locator(".rw-messages-container"))


def ask(page: Page, text: str) -> None:
    page.locator(".rw-new-message").fill(text)
    page.keyboard.press("Enter")
