"""Offering a person after two answers in a row that could not help: "did you mean",
"not covered", an unlisted certificate, not understood, or an answer marked "not helpful".
The count lives in a slot the answering actions set; the offer is a button that asks for
a person (bot.handoff.desk). A message only probably asking for a person ("can our company
get an ICP license?" can look like one to the classifier) is asked back with the same button
rather than handed over."""

from __future__ import annotations

from typing import Any

from bot.knowledge.model import KnowledgeBase
from bot.review.outcomes import FALLBACK, HEDGED, NOT_COVERED, UNLISTED_OUTCOME

UNHELPFUL_SLOT = "unhelpful_answers"
UNHELPFUL_OUTCOMES = frozenset({HEDGED, NOT_COVERED, UNLISTED_OUTCOME, FALLBACK})
OFFER_AFTER = 2
ASK_FOR_PERSON_PAYLOAD = "/ask_for_person"
# Below this confidence in "ask for a person", the user is asked whether they want one.
SURE_REQUEST_CONFIDENCE = 0.8


def unhelpful_streak(previous: Any, unhelpful: bool) -> int:
    """How many answers in a row could not help, counting this one."""
    return int(previous or 0) + 1 if unhelpful else 0


def person_offer(kb: KnowledgeBase, language: str, reply: str = "offer_person") -> dict[str, Any]:
    """The message that offers a person (or, with `confirm_person`, asks whether the user
    wants one), with its button."""
    replies = kb.conversation_replies
    return {"text": replies[reply][language],
            "buttons": [{"title": replies["talk_to_person_button"][language], "payload": ASK_FOR_PERSON_PAYLOAD}]}
