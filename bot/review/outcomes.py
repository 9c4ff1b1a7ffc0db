"""How a user message ended, named from the responses that followed it, and how what was
typed is masked before it is kept for review. Light: no Rasa import (the command line uses it)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.knowledge.response_names import (
    ASK_WHICH_CATALOG_ENTRY,
    CATALOG_PREFIX,
    DID_YOU_MEAN,
    ENTRY_GENERAL,
    FAQ_PREFIX,
    NOT_UNDERSTOOD,
    OUT_OF_SCOPE,
    UNCOVERED,
    UNLISTED,
)
from bot.knowledge.routing import LOOKUP_FORM

# How a message ended.
ANSWERED, HEDGED, DECLINED, UNLISTED_OUTCOME, NOT_COVERED, FALLBACK, CONVERSATION, LOOKUP = (
    "answered", "hedged", "declined", "unlisted", "not_covered", "fallback", "conversation", "lookup")
OUTCOMES = (ANSWERED, HEDGED, DECLINED, UNLISTED_OUTCOME, NOT_COVERED, FALLBACK, CONVERSATION, LOOKUP)
# In the review queue: an answer the user marked "not helpful" (whatever its outcome).
NOT_HELPFUL = "not_helpful"
QUEUE_OUTCOMES = (*OUTCOMES, NOT_HELPFUL)
# Outcomes a curator looks at (a declined message only when it was about certificates).
TO_REVIEW = frozenset({HEDGED, UNLISTED_OUTCOME, NOT_COVERED, FALLBACK})
# A run of letters and digits with at least this many digits looks like a certificate or ID
# number: 「证书编号SPM-2022-004417」, 「身份证110101199003071234」. Years and levels stay.
_NUMBER_DIGITS = 5
_ALNUM = "A-Za-z0-9Ａ-Ｚａ-ｚ０-９"  # full-width ones too
_NUMBER_LIKE = re.compile(rf"[{_ALNUM}][{_ALNUM}\-－]*[{_ALNUM}]")
MASK = "###"


def mask_numbers(text: str) -> str:
    """The text with every run of letters and digits that looks like a certificate or ID
    number replaced by ###."""
    return _NUMBER_LIKE.sub(lambda m: MASK if sum(c.isdigit() for c in m.group()) >= _NUMBER_DIGITS
                            else m.group(), text)


def outcome_of(responses: Sequence[str], actions: Sequence[str]) -> str:
    """How a message ended, from the responses and actions that followed it."""
    if LOOKUP_FORM in actions:
        return LOOKUP
    if DID_YOU_MEAN in responses or ASK_WHICH_CATALOG_ENTRY in responses:
        return HEDGED
    if NOT_UNDERSTOOD in responses:
        return FALLBACK
    if OUT_OF_SCOPE in responses:
        return DECLINED
    if any(name.startswith(UNLISTED) for name in responses):
        return UNLISTED_OUTCOME
    if UNCOVERED in responses:
        return NOT_COVERED
    if any(name.startswith((CATALOG_PREFIX, FAQ_PREFIX, ENTRY_GENERAL)) for name in responses):
        return ANSWERED
    return CONVERSATION
