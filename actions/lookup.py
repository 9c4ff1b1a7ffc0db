"""The certificate status lookup: the form's validation and the lookup itself."""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, FormValidationAction
from rasa_sdk.events import SlotSet

from actions.answering import conversation_language
from bot.certificates.model import clean_holder_name, holder_name_problem, is_valid_number, number_from_message
from bot.response_names import lookup_response
from bot.runtime import certificate_lookup

if TYPE_CHECKING:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher
    from rasa_sdk.types import DomainDict

logger = logging.getLogger(__name__)


def _lockout(tracker: Tracker) -> tuple[int, float | None]:
    return int(tracker.get_slot("lookup_failures") or 0), tracker.get_slot("lookup_locked_until")


class ValidateCertificateLookupForm(FormValidationAction):
    def name(self) -> str:
        return "validate_certificate_lookup_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # A locked-out conversation is not asked for details it could not use; the lookup
        # action then explains the refusal.
        failures, locked_until = _lockout(tracker)
        if certificate_lookup().refused_if_locked(failures, locked_until, time.time()):
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
        failures, locked_until = _lockout(tracker)
        number = tracker.get_slot("certificate_number") or ""
        name = tracker.get_slot("holder_name") or ""
        # While locked out the form asked nothing, and check() answers with the refusal.
        outcome = certificate_lookup().check(
            number, name, failures, locked_until, time.time(), date.today(),
            conversation_language(tracker),
        )
        # The result only: holder names and certificate numbers stay out of the logs.
        logger.info("certificate lookup: %s", outcome.reply)
        dispatcher.utter_message(response=lookup_response(outcome.reply), **outcome.values)
        return [
            SlotSet("certificate_number", None),
            SlotSet("holder_name", None),
            SlotSet("lookup_failures", outcome.failures),
            SlotSet("lookup_locked_until", outcome.locked_until),
        ]
