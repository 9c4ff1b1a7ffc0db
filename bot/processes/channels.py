"""Which channels a Rasa server opens: the credentials file it starts with.

The connectors (bot.server.channels) import Rasa and run inside the Rasa server; this module
names them without importing them, so the stack decides which channels to open without
loading Rasa.
"""

from __future__ import annotations

from typing import Any

from bot.settings import ServerSettings

HEALTH = "bot.server.channels.health.HealthInput"
METRICS = "bot.server.channels.metrics.MetricsInput"
REST = "bot.server.channels.rest.LimitedRestInput"
WEBCHAT = "bot.server.channels.webchat.WebchatInput"
TELEGRAM = "bot.server.channels.telegram.VerifiedTelegramInput"
SLACK = "bot.server.channels.slack.VerifiedSlackInput"
WECHAT = "bot.server.channels.wechat.WechatInput"


def channel_credentials(settings: ServerSettings) -> dict[str, Any]:
    """The contents of the credentials file the Rasa server starts with.

    It names the channels only: each connector reads its tokens and secrets from the
    environment (bot.settings), so no secret is ever written to disk.
    """
    channels: dict[str, Any] = {HEALTH: None, METRICS: None, REST: None, WEBCHAT: None}
    if settings.telegram:
        channels[TELEGRAM] = None
    if settings.slack:
        channels[SLACK] = None
    if settings.wechat:
        channels[WECHAT] = None
    return channels
