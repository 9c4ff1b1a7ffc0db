"""Conversations cut to their recent turns (bot/conversation_store.py): what they carry
forward survives the cut, in the store and through the running servers."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
import requests
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.conversation_store import RecentTurnsTrackerStore, recent_turns
from tests.servers import started_stack

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [ask]
slots:
  topic: {type: text, mappings: [{type: custom}]}
  failures: {type: float, initial_value: 0, mappings: [{type: custom}]}
forms:
  some_form: {required_slots: [topic]}
actions: [action_answer]
""")


def conversation(turns: int, form_from_turn: int | None = None) -> DialogueStateTracker:
    events = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
    for turn in range(turns):
        events += [UserUttered(f"question {turn}", {"name": "ask", "confidence": 1.0}),
                   ActionExecuted("action_answer"), SlotSet("topic", f"topic {turn}")]
        if turn == 2:
            events.append(SlotSet("failures", 2.0))
        if turn == form_from_turn:
            events += [ActionExecuted("some_form"), ActiveLoop("some_form")]
        events.append(ActionExecuted("action_listen"))
    return DialogueStateTracker.from_events("someone", events, slots=DOMAIN.slots)


def user_texts(tracker: DialogueStateTracker) -> list[str]:
    return [event.text for event in tracker.events if isinstance(event, UserUttered)]


def test_a_short_conversation_is_kept_whole() -> None:
    tracker = conversation(5)
    assert recent_turns(tracker, 10, DOMAIN) is tracker


def test_the_cut_keeps_the_recent_turns_the_slots_and_the_form() -> None:
    tracker = conversation(30, form_from_turn=12)
    cut = recent_turns(tracker, 10, DOMAIN)
    assert user_texts(cut) == [f"question {turn}" for turn in range(20, 30)]
    assert cut.current_slot_values() == tracker.current_slot_values()
    assert cut.get_slot("failures") == 2.0  # set long before the cut
    assert cut.active_loop_name == "some_form"
    assert cut.latest_action_name == "action_listen"


def test_the_store_cuts_at_twice_the_turns_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_CONVERSATION_TURNS", "10")
    store = RecentTurnsTrackerStore(DOMAIN)
    asyncio.run(store.save(conversation(19)))
    assert len(user_texts(asyncio.run(store.retrieve("someone")))) == 19
    asyncio.run(store.save(conversation(20)))
    kept = asyncio.run(store.retrieve("someone"))
    assert user_texts(kept) == [f"question {turn}" for turn in range(10, 20)]
    assert kept.get_slot("topic") == "topic 19" and kept.get_slot("failures") == 2.0


def test_a_long_conversation_keeps_its_context_and_only_its_recent_turns(
        trained_model: Path, tmp_path_factory: pytest.TempPathFactory, responses: dict[str, str]) -> None:
    token = uuid.uuid4().hex
    with started_stack(trained_model, tmp_path_factory, env={"BOT_CONVERSATION_TURNS": "3"},
                       api_token=token) as (config, _):
        sender = f"long-{uuid.uuid4().hex}"

        def say(text: str) -> str:
            reply = requests.post(config.rest_url, json={"sender": sender, "message": text}, timeout=30)
            return "\n".join(message.get("text", "") for message in reply.json())

        say("hello")
        assert say("do tour guides need a certificate?") == responses["utter_catalog_tour_guide__needed"]
        for _ in range(6):
            say("thanks")
        # The topic was asked seven messages and two cuts ago; the slot carried it.
        assert say("what about lawyers?") == responses["utter_catalog_lawyer__needed"]
        tracker = requests.get(f"http://{config.host}:{config.rasa_port}/conversations/{sender}/tracker",
                               params={"token": token}, timeout=30).json()
    user_messages = [event["text"] for event in tracker["events"] if event["event"] == "user"]
    assert len(user_messages) < 6 and user_messages[-1] == "what about lawyers?"
