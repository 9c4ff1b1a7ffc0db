"""Tells the staff's own tools about a new request for a person or a new ticket: a JSON POST
to BOT_STAFF_NOTIFY_URL (a team routes it to a work group chat, say). Sent from a
background thread with a short time limit, so that a slow or failing address never holds
up the user; a failure is logged. No personal data is sent: what the user wrote stays in
the console."""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0


class Notifier:
    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, event: dict[str, Any]) -> threading.Thread | None:
        """Posts the event in the background; returns the thread (None without a URL)."""
        if not self.url:
            return None
        thread = threading.Thread(target=self._post, args=(event,), name="staff-notify", daemon=True)
        thread.start()
        return thread

    def _post(self, event: dict[str, Any]) -> None:
        try:
            response = requests.post(self.url, json=event, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
        except requests.RequestException as error:
            logger.warning("The staff notification %s could not be sent to BOT_STAFF_NOTIFY_URL: %s",
                           event.get("event"), type(error).__name__)
