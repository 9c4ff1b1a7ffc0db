"""Where the Rasa server keeps conversations: in memory, each one cut to its recent turns
(issue #10).

Rasa rebuilds a conversation from all its events on every message, and its policies work
out the dialogue state of every earlier turn, so with Rasa's own in-memory store message 150
of a conversation cost 4.5 times message 10 (bench/load_benchmark.py). The assistant needs
no old events: what a conversation carries forward lives in slots (the language, the topic
of "what about lawyers?", the lookup form's state) and the rules look back a few turns at
most. So when a conversation reaches twice BOT_CONVERSATION_TURNS user messages, it is cut
back to the last BOT_CONVERSATION_TURNS, after a new start that sets the slots and the
active form to what they were at the cut. A message then costs the same at any length.
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import load_settings


def recent_turns(tracker: DialogueStateTracker, turns: int, domain: Domain) -> DialogueStateTracker:
    """The conversation from its `turns`-th last user message on, after a start that
    restores the slots and the active form of that moment; the tracker itself when it has
    no more user messages than that."""
    events = list(tracker.events)
    user_messages = [index for index, event in enumerate(events) if isinstance(event, UserUttered)]
    if len(user_messages) <= turns:
        return tracker
    cut = user_messages[-turns]
    before = DialogueStateTracker.from_events(tracker.sender_id, events[:cut], slots=domain.slots)
    start: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()]
    start += [SlotSet(slot.name, slot.value) for slot in before.slots.values() if slot.value != slot.initial_value]
    if before.active_loop_name:
        start.append(ActiveLoop(before.active_loop_name))
    start.append(ActionExecuted(ACTION_LISTEN_NAME))
    for event in start:
        event.timestamp = events[cut].timestamp
    return DialogueStateTracker.from_events(tracker.sender_id, start + events[cut:], slots=domain.slots)


class RecentTurnsTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory tracker store, keeping each conversation's recent turns only."""

    def __init__(self, domain: Domain, event_broker: Any = None, **kwargs: Any) -> None:
        super().__init__(domain, event_broker, **kwargs)
        self.turns = load_settings().conversation_turns

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        events = tracker.events
        # Cut at twice the length kept, so that a conversation is rebuilt once every
        # `turns` messages rather than on every message.
        if sum(isinstance(event, UserUttered) for event in events) >= 2 * self.turns:
            tracker = recent_turns(tracker, self.turns, self.domain)
        self.store[tracker.sender_id] = self.serialise_tracker(tracker)
