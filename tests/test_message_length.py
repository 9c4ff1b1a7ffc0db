from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.server.components.message_length import MessageLengthLimiter, TooLongMessageClassifier


def test_long_messages_are_cut_and_short_ones_kept() -> None:
    limiter = MessageLengthLimiter({"max_characters": 10})
    long, short = Message({"text": "x" * 100_000}), Message({"text": "hello"})
    limiter.process([long, short])
    assert long.get("text") == "x" * 10
    assert short.get("text") == "hello"


def test_a_cut_message_gets_the_too_long_intent_whatever_was_classified() -> None:
    long, short = Message({"text": "x" * 600}), Message({"text": "hello"})
    MessageLengthLimiter({"max_characters": 500}).process([long, short])
    for message in (long, short):
        message.set("intent", {"name": "faq", "confidence": 0.9})
    TooLongMessageClassifier().process([long, short])
    assert long.get("intent") == {"name": "message_too_long", "confidence": 1.0}
    assert short.get("intent")["name"] == "faq"


@pytest.mark.parametrize("limit", [0, -5, "500", None, True])
def test_bad_limit_is_a_clear_error(limit: object) -> None:
    with pytest.raises(ValueError, match="max_characters must be a whole number >= 1"):
        MessageLengthLimiter({"max_characters": limit})
