"""Actions that answer questions from the knowledge base."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action
from rasa_sdk.events import SlotSet

from bot.dialogue.feedback import HELPFUL_ENTITY, NO, feedback_buttons, latest_message_time
from bot.dialogue.person_offer import OFFER_AFTER, UNHELPFUL_OUTCOMES, UNHELPFUL_SLOT, person_offer, unhelpful_streak
from bot.dialogue.runtime import dialogue
from bot.knowledge.response_names import LANGUAGE_SLOT
from bot.knowledge.routing import ANSWER_ACTION, FEEDBACK_ACTION
from bot.review.outcomes import ANSWERED, outcome_of
from bot.text import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher
    from rasa_sdk.types import DomainDict

logger = logging.getLogger(__name__)

CATALOG_ASPECT_SLOT = "catalog_aspect"


def conversation_language(tracker: Tracker) -> str:
    """The language of the conversation's latest message that had a clear one."""
    return str(tracker.get_slot(LANGUAGE_SLOT) or DEFAULT_LANGUAGE)


class ActionAnswer(Action):
    """Answers every intent that bot.knowledge.routing sends to the knowledge, and remembers the
    catalog topic so that "what about lawyers?" asks the same question about lawyers."""

    def name(self) -> str:
        return ANSWER_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        reply = dialogue().answer(tracker.latest_message, tracker.get_slot(CATALOG_ASPECT_SLOT), language)
        parts = reply.parts()
        # An answer from the knowledge ends with "helpful?" buttons (not "did you mean").
        asked_at = latest_message_time(tracker.events)
        outcome = outcome_of([part.response for part in parts], [])
        feedback = feedback_buttons(dialogue().kb, language, asked_at) if asked_at and outcome == ANSWERED else []
        for index, part in enumerate(parts):
            logger.info("answered with %s (entry: %s)", part.response, part.answered_by)
            buttons = part.buttons or (feedback if index == len(parts) - 1 else [])
            dispatcher.utter_message(response=part.response, buttons=buttons or None, **part.values)
        unhelpful = offer_person_after(dispatcher, tracker, outcome in UNHELPFUL_OUTCOMES, language)
        return [SlotSet(CATALOG_ASPECT_SLOT, reply.catalog_aspect), unhelpful]


class ActionThankForFeedback(Action):
    """Thanks the user for pressing "helpful" or "not helpful"; a "not helpful" counts
    towards offering a person."""

    def name(self) -> str:
        return FEEDBACK_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_feedback_thanks")
        values = {entity.get("entity"): entity.get("value") for entity in tracker.latest_message.get("entities", [])}
        return [offer_person_after(dispatcher, tracker, values.get(HELPFUL_ENTITY) == NO,
                                   conversation_language(tracker))]


def offer_person_after(dispatcher: CollectingDispatcher, tracker: Tracker, unhelpful: bool,
                       language: str) -> dict[str, Any]:
    """Offers a person after the second answer in a row that could not help; the count's new value."""
    streak = unhelpful_streak(tracker.get_slot(UNHELPFUL_SLOT), unhelpful)
    if streak >= OFFER_AFTER:
        dispatcher.utter_message(**person_offer(dialogue().kb, language))
        streak = 0
    return SlotSet(UNHELPFUL_SLOT, float(streak))
