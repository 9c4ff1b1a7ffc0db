"""The channels people reach the assistant through, as Rasa input channels.

The connector modules import Rasa and run inside the Rasa server; this module does not, so
the stack can decide which channels to open without loading Rasa.
"""

from __future__ import annotations

from typing import Any

from bot.settings import ServerSettings

HEALTH = "bot.channels.health.HealthInput"
REST = "bot.channels.rest.LimitedRestInput"
WEBCHAT = "bot.channels.webchat.WebchatInput"
TELEGRAM = "bot.channels.telegram.VerifiedTelegramInput"
SLACK = "bot.channels.slack.VerifiedSlackInput"


def channel_credentials(settings: ServerSettings) -> dict[str, Any]:
    """The contents of the credentials file the Rasa server starts with.

    It names the channels only: each connector reads its tokens and secrets from the
    environment (bot.settings), so no secret is ever written to disk.
    """
    channels: dict[str, Any] = {HEALTH: None, REST: None, WEBCHAT: None}
    if settings.telegram:
        channels[TELEGRAM] = None
    if settings.slack:
        channels[SLACK] = None
    return channels
