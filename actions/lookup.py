"""The certificate status lookup: the form's validation and the lookup itself."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, FormValidationAction
from rasa_sdk.events import SlotSet

from actions.answering import conversation_language
from bot.certificates.model import clean_holder_name, holder_name_problem, is_valid_number, number_from_message
from bot.dialogue.runtime import certificate_lookup
from bot.knowledge.response_names import lookup_response
from bot.protection.clients import client_from_metadata

if TYPE_CHECKING:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher
    from rasa_sdk.types import DomainDict

logger = logging.getLogger(__name__)


def _client(tracker: Tracker) -> str:
    return client_from_metadata(tracker.latest_message.get("metadata"), tracker.sender_id)


class ValidateCertificateLookupForm(FormValidationAction):
    def name(self) -> str:
        return "validate_certificate_lookup_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # A client that has used up its lookups is not asked for details it could not use;
        # the lookup action then explains the refusal.
        if await asyncio.to_thread(certificate_lookup().refusal_before_asking, _client(tracker)):
            return []
        return domain_slots

    def validate_certificate_number(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = number_from_message(str(slot_value or ""))
        if is_valid_number(number):
            return {"certificate_number": number}
        dispatcher.utter_message(response=lookup_response("invalid_number"))
        return {"certificate_number": None}

    def validate_holder_name(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = clean_holder_name(str(slot_value or ""))
        if holder_name_problem(name) is None:
            return {"holder_name": name}
        dispatcher.utter_message(response=lookup_response("invalid_name"))
        return {"holder_name": None}


class ActionLookupCertificate(Action):
    def name(self) -> str:
        return "action_lookup_certificate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        number = tracker.get_slot("certificate_number") or ""
        name = tracker.get_slot("holder_name") or ""
        # When a limit refused the lookup the form asked nothing, and check() explains.
        # It blocks (counters, the database or the registry), so it runs off the event loop.
        outcome = await asyncio.to_thread(
            certificate_lookup().check, number, name, _client(tracker), date.today(), conversation_language(tracker)
        )
        # The result only: holder names and certificate numbers stay out of the logs.
        logger.info("certificate lookup: %s", outcome.reply)
        dispatcher.utter_message(response=lookup_response(outcome.reply), **outcome.values)
        return [SlotSet("certificate_number", None), SlotSet("holder_name", None)]
