"""How each user message ended, worked out from a conversation's events when the Rasa
server stores them (bot.server.conversation_store): answered, hedged ("did you mean",
"which certificate?"), declined, unlisted, not covered, a fallback, small talk or a lookup.

A message that could not be answered is kept for review with what was asked and
answered. What was typed into a certificate lookup never is: the lookup's own messages
are not kept at all, nor the text of any later message of that conversation (once the
lookup is over, its number and name are gone from the conversation, so a later message
that repeats them could not be cleaned), and digits that look like a certificate or ID
number are masked.

A press of "helpful" or "not helpful" under an answer (bot.dialogue.feedback) is not a
message of its own: it is recorded against the message it answered, which "not helpful"
puts in the review queue with what was asked and answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered

from bot.dialogue.feedback import ANSWER_TO_ENTITY, HELPFUL_ENTITY, NO, YES
from bot.knowledge.response_names import LANGUAGE_SLOT
from bot.knowledge.routing import DETAILS_INTENT, FEEDBACK_INTENT, LOOKUP_FORM, LOOKUP_INTENT, LOOKUP_SLOTS
from bot.review import tables
from bot.review.outcomes import DECLINED, LOOKUP, TO_REVIEW, mask_numbers, outcome_of
from bot.review.tables import insert_new
from bot.text import DEFAULT_LANGUAGE, detect_language
from bot.understanding.gate import Findings

# How many of the classifier's likeliest intents are kept as the candidates it considered.
_CANDIDATES = 3


@dataclass(frozen=True)
class Turn:
    """One user message and how it ended: a row of bot.review.tables.turns."""

    turn_key: str
    sender_id: str
    asked_at: float
    language: str
    outcome: str
    for_review: bool
    answer_seconds: float | None = None
    text: str | None = None
    confidence: float | None = None
    candidates: str | None = None
    answer: str | None = None

    def row(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class Feedback:
    """A press of "helpful" or "not helpful": a row of bot.review.tables.feedback, and for
    "not helpful", the answered message to review."""

    turn_key: str
    sender_id: str
    at: float
    helpful: bool
    question: Turn | None = None

    def row(self) -> dict[str, Any]:
        return {"turn_key": self.turn_key, "sender_id": self.sender_id, "at": self.at, "helpful": self.helpful}


def finished(sender_id: str, events: Sequence[Event], first_new: int) -> tuple[list[Turn], list[Feedback]]:
    """The user messages of a conversation whose handling ended at or after event
    `first_new` (the first not stored yet), each as a Turn, and the presses of "helpful"
    or "not helpful" among them."""
    parts = list(ended_turns(events))
    new = [part for part in parts if part.ended_index >= first_new]
    by_time = {repr(part.message.timestamp): part for part in parts}
    turns = (_turn(sender_id, part) for part in new)
    feedback = (_feedback(sender_id, part, by_time) for part in new)
    return [turn for turn in turns if turn], [each for each in feedback if each]


def record_feedback(connection: sa.engine.Connection, feedback: list[Feedback]) -> None:
    """Stores the presses, and puts each message marked "not helpful" in the review queue
    (unless its conversation had a lookup, whose texts are never kept)."""
    insert_new(connection, tables.feedback, (each.row() for each in feedback), "turn_key")
    questions = without_texts_after_lookups(connection, [each.question for each in feedback if each.question])
    for question in questions:
        if question.for_review:
            connection.execute(tables.turns.update().where(
                tables.turns.c.turn_key == question.turn_key, tables.turns.c.for_review.is_(False)).values(
                for_review=True, text=question.text, confidence=question.confidence,
                candidates=question.candidates, answer=question.answer))


@dataclass
class TurnPart:
    message: UserUttered
    in_lookup: bool
    after_lookup: bool
    events: list[Event]
    language: str | None
    # When the assistant started waiting for the next message, and that event's index.
    ended_at: float | None = None
    ended_index: int = -1


def ended_turns(events: Sequence[Event]) -> Iterator[TurnPart]:
    """Each user message whose turn (up to the next wait for the user) has ended, with what
    happened in it and whether a lookup was asking for a detail."""
    requested: Any = None
    loop: str | None = None
    looked_up = False
    language: str | None = None
    current: TurnPart | None = None
    for index, event in enumerate(events):
        if isinstance(event, UserUttered):
            current = TurnPart(event, loop == LOOKUP_FORM or requested in LOOKUP_SLOTS, looked_up, [], language)
            continue
        looked_up = looked_up or (isinstance(event, ActionExecuted) and event.action_name == LOOKUP_FORM)
        if isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            requested = event.value
        elif isinstance(event, SlotSet) and event.key == LANGUAGE_SLOT and event.value:
            language = str(event.value)
        elif isinstance(event, ActiveLoop):
            loop = event.name
        if current is None:
            continue
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
            current.language = language or current.language
            current.ended_at, current.ended_index = event.timestamp, index
            yield current
            current = None
        else:
            current.events.append(event)


def _turn(sender_id: str, part: TurnPart, not_helpful: bool = False) -> Turn | None:
    """The message as a Turn; with `not_helpful`, kept for review whatever its outcome
    (but a lookup's). None for a press of a feedback button."""
    message = part.message
    if message.timestamp is None or message.text is None or _intent(message) == FEEDBACK_INTENT:
        return None
    responses = [str(e.metadata.get("utter_action") or "") for e in part.events if isinstance(e, BotUttered)]
    actions = [str(e.action_name) for e in part.events if isinstance(e, ActionExecuted)]
    parsed = message.parse_data or {}
    intent = _intent(message)
    outcome = LOOKUP if part.in_lookup or intent in (LOOKUP_INTENT, DETAILS_INTENT) else outcome_of(responses, actions)
    language = part.language or detect_language(message.text) or DEFAULT_LANGUAGE
    took = round(part.ended_at - message.timestamp, 3) if part.ended_at else None
    turn = Turn(f"{sender_id}:{message.timestamp!r}", sender_id, float(message.timestamp), language, outcome,
                for_review=not part.after_lookup and outcome != LOOKUP
                and (not_helpful or _needs_review(outcome, parsed)), answer_seconds=took)
    if not turn.for_review:
        return turn
    answers = [e.text for e in part.events if isinstance(e, BotUttered) and e.text]
    buttons = [str(button.get("title")) for e in part.events if isinstance(e, BotUttered)
               for button in (e.data or {}).get("buttons") or []]
    return Turn(**{**turn.row(), "text": mask_numbers(message.text), "confidence": _confidence(parsed),
                   "candidates": json.dumps(_candidates(parsed) + buttons, ensure_ascii=False),
                   "answer": mask_numbers("\n".join(answers))})


def _feedback(sender_id: str, part: TurnPart, by_time: Mapping[str, TurnPart]) -> Feedback | None:
    message = part.message
    if _intent(message) != FEEDBACK_INTENT or message.timestamp is None or part.in_lookup:
        return None
    values = {entity.get("entity"): entity.get("value") for entity in (message.parse_data or {}).get("entities") or []}
    helpful, answer_to = values.get(HELPFUL_ENTITY), str(values.get(ANSWER_TO_ENTITY) or "")
    answered = by_time.get(answer_to)
    if helpful not in (YES, NO) or answered is None:
        return None  # not a press of our buttons, or about a message no longer in the conversation
    question = _turn(sender_id, answered, not_helpful=True) if helpful == NO else None
    return Feedback(f"{sender_id}:{answer_to}", sender_id, float(message.timestamp), helpful == YES, question)


def without_texts_after_lookups(connection: sa.engine.Connection, turns: list[Turn]) -> list[Turn]:
    """The turns, with no text kept for a conversation that had a lookup before the events
    at hand (its start may have been cut from them, or be in an earlier session)."""
    senders = {turn.sender_id for turn in turns if turn.for_review}
    if not senders:
        return turns
    looked_up = set(connection.execute(sa.select(tables.turns.c.sender_id).distinct().where(
        tables.turns.c.sender_id.in_(senders), tables.turns.c.outcome == LOOKUP)).scalars())
    return [Turn(**{**turn.row(), "for_review": False, "text": None, "confidence": None, "candidates": None,
                    "answer": None}) if turn.sender_id in looked_up else turn for turn in turns]


def _intent(message: UserUttered) -> str:
    return str(((message.parse_data or {}).get("intent") or {}).get("name") or "")


def _needs_review(outcome: str, parsed: Mapping[str, Any]) -> bool:
    if outcome in TO_REVIEW:
        return True
    if outcome != DECLINED:
        return False
    # Declined as unrelated, yet it had words of the domain or a job in it.
    found = Findings.of(parsed)
    return found is not None and (found.relatedness.domain_word or found.relatedness.trade)


def _confidence(parsed: Mapping[str, Any]) -> float | None:
    confidence = (parsed.get("intent") or {}).get("confidence")
    return round(float(confidence), 3) if confidence is not None else None


def _candidates(parsed: Mapping[str, Any]) -> list[str]:
    """The classifier's likeliest intents, with the answer the response selector chose."""
    ranked = [f"{item.get('name')} {float(item.get('confidence') or 0):.2f}"
              for item in (parsed.get("intent_ranking") or [])[:_CANDIDATES]]
    for selector in (parsed.get("response_selector") or {}).values():
        response = selector.get("response") or {} if isinstance(selector, Mapping) else {}
        if response.get("intent_response_key"):
            ranked.append(f"{response['intent_response_key']} {float(response.get('confidence') or 0):.2f}")
    return ranked
