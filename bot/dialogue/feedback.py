"""The "helpful" and "not helpful" buttons under an answer, and what pressing one sends.

A press sends the `feedback` intent with whether it helped and which message the answer
was to (its time, as the conversation store keys it), so that a press under an older
answer (Telegram and Slack keep the buttons of every message) is about that answer.
bot.server.review_recording records it; "not helpful" puts the question in the review queue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.knowledge.model import KnowledgeBase
from bot.knowledge.routing import FEEDBACK_INTENT

HELPFUL_ENTITY, ANSWER_TO_ENTITY = "helpful", "answer_to"
YES, NO = "yes", "no"


def feedback_payload(helpful: bool, answer_to: str) -> str:
    """What a button sends (short: Telegram allows 64 bytes of button data)."""
    values = {HELPFUL_ENTITY: YES if helpful else NO, ANSWER_TO_ENTITY: answer_to}
    return f"/{FEEDBACK_INTENT}{json.dumps(values, separators=(',', ':'))}"


def feedback_buttons(kb: KnowledgeBase, language: str, answer_to: str) -> list[dict[str, str]]:
    """The two buttons under an answer to the message sent at `answer_to`."""
    replies = kb.conversation_replies
    return [{"title": replies["feedback_helpful"][language], "payload": feedback_payload(True, answer_to)},
            {"title": replies["feedback_not_helpful"][language], "payload": feedback_payload(False, answer_to)}]


def latest_message_time(events: Sequence[Mapping[str, Any]]) -> str | None:
    """The time of the latest user message among a tracker's events, as the conversation
    store keys it (Python's repr of the float)."""
    for event in reversed(events):
        if event.get("event") == "user" and event.get("timestamp") is not None:
            return repr(float(event["timestamp"]))
    return None


def is_feedback(payload: str) -> bool:
    return payload.startswith(f"/{FEEDBACK_INTENT}{{")
