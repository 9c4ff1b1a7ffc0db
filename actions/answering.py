"""Actions that answer questions from the knowledge base."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action
from rasa_sdk.events import SlotSet

from bot.dialogue import Reply
from bot.response_names import LANGUAGE_SLOT
from bot.runtime import dialogue
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


class _ReplyAction(Action, ABC):
    """Sends a `Reply` and remembers its catalog topic. `name()` stays abstract, so the
    action server does not register this base class."""

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    @abstractmethod
    def reply(self, tracker: Tracker) -> Reply:
        """Decides the answer from the conversation so far."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reply = self.reply(tracker)
        logger.info("%s answered with %s (entry: %s)", self.name(), reply.response, reply.answered_by)
        dispatcher.utter_message(response=reply.response, buttons=reply.buttons or None)
        return [SlotSet(CATALOG_ASPECT_SLOT, reply.catalog_aspect)]


class ActionAnswerFaq(_ReplyAction):
    def name(self) -> str:
        return "action_answer_faq"

    def reply(self, tracker: Tracker) -> Reply:
        return dialogue().answer_faq(tracker.latest_message, conversation_language(tracker))


class ActionAnswerCatalog(_ReplyAction):
    def name(self) -> str:
        return "action_answer_catalog"

    def reply(self, tracker: Tracker) -> Reply:
        return dialogue().answer_catalog(
            tracker.latest_message, tracker.get_slot(CATALOG_ASPECT_SLOT), conversation_language(tracker)
        )


class ActionAnswerChoice(_ReplyAction):
    def name(self) -> str:
        return "action_answer_choice"

    def reply(self, tracker: Tracker) -> Reply:
        return dialogue().answer_choice(next(tracker.get_latest_entity_values("entry_id"), None))


class ActionSuggestEntries(_ReplyAction):
    def name(self) -> str:
        return "action_suggest_entries"

    def reply(self, tracker: Tracker) -> Reply:
        return dialogue().suggest(tracker.latest_message, conversation_language(tracker))
