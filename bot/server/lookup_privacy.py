"""Takes the certificate number and holder's name a user typed out of a conversation once
its lookup is over, so that the stored conversation keeps that a lookup happened and what
it answered, not who was looked up.

Removed: the text of every message the lookup form asked for (the number, the name), the
values the form's slots held, and any other message's words that equal those values.
"""

from __future__ import annotations

import copy
import re

from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.knowledge.routing import LOOKUP_FORM, LOOKUP_SLOTS, REMOVED
from bot.understanding.gate import FINDINGS_KEY


def without_lookup_details(tracker: DialogueStateTracker, domain: Domain) -> DialogueStateTracker | None:
    """The conversation without its lookup details; None while a lookup is under way (the
    form still needs them) or when there is nothing to remove."""
    if tracker.active_loop_name == LOOKUP_FORM:
        return None
    events = list(tracker.events)
    typed = {str(event.value) for event in events
             if isinstance(event, SlotSet) and event.key in LOOKUP_SLOTS and event.value is not None}
    typed_words = re.compile("|".join(re.escape(value) for value in sorted(typed, key=len, reverse=True)),
                             re.IGNORECASE) if typed else None
    requested = None
    changed = False
    cleaned: list[Event] = []
    for event in events:
        if isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            requested = event.value
        elif isinstance(event, SlotSet) and event.key in LOOKUP_SLOTS and event.value is not None:
            event, changed = SlotSet(event.key, None, event.timestamp, event.metadata), True
        elif isinstance(event, UserUttered) and event.text:
            text = REMOVED if requested in LOOKUP_SLOTS else (
                typed_words.sub(REMOVED, event.text) if typed_words else event.text)
            if text != event.text:
                event, changed = _with_text(event, text), True
        cleaned.append(event)
    if not changed:
        return None
    return DialogueStateTracker.from_events(tracker.sender_id, cleaned, slots=domain.slots)


def _with_text(message: UserUttered, text: str) -> UserUttered:
    """The message with another text, and without the entities and the domain gate's
    findings (parts of the old text: a name typed for the lookup can be its `unknown` word)."""
    cleaned = copy.deepcopy(message)
    cleaned.text = text
    cleaned.entities = []
    cleaned.parse_data["text"] = text
    cleaned.parse_data["entities"] = []
    cleaned.parse_data.pop(FINDINGS_KEY, None)
    return cleaned
