"""Decides how the assistant answers a parsed message. The Rasa actions are thin wrappers
around these methods; everything here works on plain dicts, so it is tested without Rasa."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge import KnowledgeBase
from bot.mentions import MentionFinder
from bot.response_names import ASK_WHICH_CATALOG_ENTRY, FAQ_INTENT, catalog_response, faq_entry_id, faq_response
from bot.settings import Settings

logger = logging.getLogger(__name__)

CHOOSE_ENTRY_INTENT = "choose_entry"
DID_YOU_MEAN = "utter_did_you_mean"
NOT_UNDERSTOOD = "utter_default"


@dataclass(frozen=True)
class Reply:
    """What to say: a response name, optional buttons, and the catalog topic to remember.

    `catalog_aspect` is kept in a slot so that a follow-up such as "what about lawyers?"
    answers the same kind of question about another entry.
    """

    response: str
    answered_by: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    catalog_aspect: str | None = None


def choose_entry_payload(entry_id: str) -> str:
    """The message a "Did you mean" button sends: picks one entry without NLU."""
    return f"/{CHOOSE_ENTRY_INTENT}{json.dumps({'entry_id': entry_id})}"


class Dialogue:
    """The answering logic, over one loaded knowledge base."""

    def __init__(self, kb: KnowledgeBase, settings: Settings) -> None:
        self.kb = kb
        self.settings = settings
        self.mentions = MentionFinder(kb)

    # `language` is the conversation's: Rasa picks each response's text by the language
    # slot, but the titles of suggestion buttons are chosen here.

    def answer_faq(self, message: Mapping[str, Any], language: str) -> Reply:
        """Answers a message classified as an FAQ question, or offers choices when unsure."""
        selected = ((message.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("response") or {}
        key = selected.get("intent_response_key")
        if not key:
            return self.suggest(message, language)
        entry = self.kb.faq_entry(faq_entry_id(key))
        mentioned = self.mentions.find(message) if entry.catalog_aspect else None
        if entry.catalog_aspect and mentioned:
            aspect = entry.catalog_aspect
            return Reply(catalog_response(mentioned, aspect), mentioned, catalog_aspect=aspect)
        if float(selected.get("confidence") or 0.0) < self.settings.answer_confidence:
            return self.suggest(message, language)
        return Reply(faq_response(entry.id), entry.id, catalog_aspect=entry.catalog_aspect)

    def answer_catalog(self, message: Mapping[str, Any], pending_aspect: str | None, language: str) -> Reply:
        """Answers a question about one job or certificate, or asks which one is meant."""
        intent = str((message.get("intent") or {}).get("name") or "")
        asked = self.kb.question_for_intent(intent).aspect
        # A message that only names an entry ("what about lawyers?") continues the topic.
        aspect = pending_aspect if asked == "overview" and pending_aspect else asked
        mentioned = self.mentions.find(message)
        if mentioned is None and aspect == "overview":
            # Classified as naming a job, yet names none we know, with no question pending:
            # most likely not understood, so do not guess.
            return self.suggest(message, language)
        if mentioned is None:
            # "Does my certificate expire?" names no job: the FAQ entry on that topic answers
            # in general, and invites the user to name one (the topic is remembered).
            general = next((entry for entry in self.kb.faq if entry.catalog_aspect == asked), None)
            if general is not None:
                return Reply(faq_response(general.id), general.id, catalog_aspect=aspect)
            return Reply(ASK_WHICH_CATALOG_ENTRY, "catalog", catalog_aspect=aspect)
        return Reply(catalog_response(mentioned, aspect), mentioned, catalog_aspect=aspect)

    def answer_choice(self, entry_id: str | None) -> Reply:
        """Answers the entry a user picked from the "Did you mean" buttons."""
        faq_ids = {entry.id for entry in self.kb.faq}
        catalog_ids = {entry.id for entry in self.kb.catalog}
        if entry_id in faq_ids:
            return Reply(faq_response(entry_id), entry_id, catalog_aspect=self.kb.faq_entry(entry_id).catalog_aspect)
        if entry_id in catalog_ids:
            return Reply(catalog_response(entry_id, "overview"), entry_id, catalog_aspect="overview")
        logger.warning("choose_entry with unknown entry id %r", entry_id)
        return Reply(NOT_UNDERSTOOD, "none")

    def suggest(self, message: Mapping[str, Any], language: str) -> Reply:
        """Offers the closest FAQ entries as buttons instead of guessing."""
        ranking = ((message.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("ranking") or []
        known = {entry.id for entry in self.kb.faq}
        buttons = []
        for candidate in ranking:
            key = candidate.get("intent_response_key") or ""
            if "/" not in key or float(candidate.get("confidence") or 0.0) < self.settings.suggestion_min_confidence:
                continue
            entry_id = faq_entry_id(key)
            if entry_id not in known:
                continue
            question = self.kb.faq_entry(entry_id).question[language]
            buttons.append({"title": question, "payload": choose_entry_payload(entry_id)})
            if len(buttons) == self.settings.suggestion_count:
                break
        if not buttons:
            return Reply(NOT_UNDERSTOOD, "none")
        return Reply(DID_YOU_MEAN, "suggestions", buttons=buttons)
