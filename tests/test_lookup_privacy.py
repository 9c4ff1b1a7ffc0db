"""What a user typed for a lookup leaves the stored conversation once the lookup is over."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.server.conversation_store import RecentTurnsTrackerStore
from tests.conftest import gated

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [check_certificate, provide_details, ask]
slots:
  certificate_number: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  holder_name: {type: text, influence_conversation: false, mappings: [{type: custom}]}
forms:
  certificate_lookup_form: {required_slots: [certificate_number, holder_name]}
actions: [action_lookup_certificate, action_answer]
""")
RESULT = "This certificate is valid. Holder: W*** X*******."


def user(text: str, intent: str = "provide_details") -> UserUttered:
    """A message as the Rasa server parses it, with what the domain gate found in it."""
    parsed = gated({"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []})
    return UserUttered(text, parsed["intent"], parse_data=parsed)


def lookup_conversation(finished: bool, name: str = "Wang Xiaoming", name_intent: str = "provide_details"
                        ) -> list[Event]:
    events: list[Event] = [
        ActionExecuted("action_session_start"), ActionExecuted("action_listen"),
        user("please check certificate demo-valid-0001", "check_certificate"),
        ActionExecuted("certificate_lookup_form"), ActiveLoop("certificate_lookup_form"),
        SlotSet("requested_slot", "certificate_number"), ActionExecuted("action_listen"),
        user("demo-valid-0001"), ActionExecuted("certificate_lookup_form"),
        SlotSet("certificate_number", "DEMO-VALID-0001"), SlotSet("requested_slot", "holder_name"),
        ActionExecuted("action_listen"), user(name, name_intent), ActionExecuted("certificate_lookup_form"),
        SlotSet("holder_name", name),
    ]
    if finished:
        events += [SlotSet("requested_slot", None), ActiveLoop(None), ActionExecuted("action_lookup_certificate"),
                   BotUttered(RESULT), SlotSet("certificate_number", None), SlotSet("holder_name", None),
                   ActionExecuted("action_listen")]
    return events


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RecentTurnsTrackerStore:
    monkeypatch.setenv("BOT_TRACKER_DB_URL", f"sqlite:///{tmp_path / 'conversations.db'}")
    return RecentTurnsTrackerStore(DOMAIN)


def stored(store: RecentTurnsTrackerStore) -> str:
    with store.session_scope() as session:
        return " ".join(row.data for row in session.query(store.SQLEvent))


def test_details_stay_while_the_lookup_needs_them(store: RecentTurnsTrackerStore) -> None:
    asyncio.run(store.save(DialogueStateTracker.from_events("someone", lookup_conversation(False), DOMAIN.slots)))
    tracker = asyncio.run(store.retrieve("someone"))
    assert tracker is not None
    assert (tracker.get_slot("certificate_number"), tracker.get_slot("holder_name")) == (
        "DEMO-VALID-0001", "Wang Xiaoming")


def test_details_leave_the_store_after_the_lookup(store: RecentTurnsTrackerStore) -> None:
    # Saved as the server does: first mid-lookup, then after the lookup's turn.
    asyncio.run(store.save(DialogueStateTracker.from_events("someone", lookup_conversation(False), DOMAIN.slots)))
    asyncio.run(store.save(DialogueStateTracker.from_events("someone", lookup_conversation(True), DOMAIN.slots)))
    data = stored(store)
    assert "demo-valid-0001" not in data.lower() and "Wang" not in data
    # What stays: that a lookup happened, what it answered, and the rest of the conversation.
    assert "action_lookup_certificate" in data and RESULT in data and "please check certificate" in data
    tracker = asyncio.run(store.retrieve("someone"))
    assert tracker is not None and tracker.latest_action_name == "action_listen"
    assert tracker.get_slot("certificate_number") is None and tracker.active_loop_name is None


def test_a_name_the_domain_gate_took_for_a_job_leaves_the_store_too(store: RecentTurnsTrackerStore) -> None:
    """A Chinese name the classifier was unsure of is, to the gate, an unknown word (maybe a job)."""
    events = lookup_conversation(True, name="刘洋", name_intent="nlu_fallback")
    assert "刘洋" in str([event.as_dict() for event in events if isinstance(event, UserUttered)][-1]["parse_data"][
        "scope"])
    asyncio.run(store.save(DialogueStateTracker.from_events("someone", events, DOMAIN.slots)))
    assert "刘洋" not in stored(store)
