from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_components.message_limit import MessageLengthLimiter


def test_long_messages_are_cut_and_short_ones_kept() -> None:
    limiter = MessageLengthLimiter({"max_characters": 10})
    long, short = Message({"text": "x" * 100_000}), Message({"text": "hello"})
    limiter.process([long, short])
    assert long.get("text") == "x" * 10
    assert short.get("text") == "hello"


@pytest.mark.parametrize("limit", [0, -5, "500", None, True])
def test_bad_limit_is_a_clear_error(limit: object) -> None:
    with pytest.raises(ValueError, match="max_characters must be a whole number >= 1"):
        MessageLengthLimiter({"max_characters": limit})
