"""What a channel says by itself, without the assistant: to a client over its limits, and
when the assistant cannot answer (its conversation store is down, for instance). The texts
come from the knowledge base, in the language the message was written in."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.errors import LimitsUnavailable
from bot.knowledge.answers import lookup_reply
from bot.knowledge.loader import current_knowledge
from bot.protection.client_limits import ClientLimits
from bot.text import DEFAULT_LANGUAGE, detect_language

logger = logging.getLogger(__name__)


def load_channel_replies() -> None:
    """Loads the texts now: a broken knowledge base stops a server at start, not at the
    first refusal."""
    current_knowledge()


def rate_limited_reply(message_text: str) -> str:
    """The short reply to a message over its client's limits."""
    return current_knowledge().conversation_replies["rate_limited"][_language(message_text)]


def unavailable_reply(message_text: str, default_language: str = DEFAULT_LANGUAGE) -> str:
    """The reply when the assistant failed: try again later, and how to verify meanwhile."""
    return lookup_reply(current_knowledge(), "service_unavailable", _language(message_text, default_language))


def _language(message_text: str, default: str = DEFAULT_LANGUAGE) -> str:
    return detect_language(message_text) or default


async def answer_within_limits(limits: ClientLimits, client: str, on_new_message: Callable[[Any], Awaitable[Any]],
                               message: Any, recipient: str) -> None:
    """Passes a rasa UserMessage on to the assistant if its client is within its limits
    (the conversation is the message's sender id); otherwise tells the user why not: over
    a limit, or the limits cannot be counted now."""
    try:
        with limits.admitted(client, message.sender_id) as refusal:
            if refusal is None:
                await answer_or_apologize(on_new_message, message, recipient)
            else:
                await message.output_channel.send_text_message(recipient, rate_limited_reply(message.text or ""))
    except LimitsUnavailable:
        logger.exception("A %s message could not be counted against its limits.", message.input_channel)
        await message.output_channel.send_text_message(recipient, unavailable_reply(message.text or ""))


async def answer_or_apologize(on_new_message: Callable[[Any], Awaitable[Any]], message: Any, recipient: str) -> None:
    """Passes a rasa UserMessage on to the assistant; if that fails, the user is told so and
    the failure is logged, without the message's text (it may hold personal data)."""
    try:
        await on_new_message(message)
    except Exception:  # noqa: BLE001 - whatever failed, the user hears about it
        logger.exception("A %s message could not be answered.", message.input_channel)
        await message.output_channel.send_text_message(recipient, unavailable_reply(message.text or ""))
