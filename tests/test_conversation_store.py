"""Conversations cut to their recent turns (bot/server/conversation_store.py): what they carry
forward survives the cut, in the store and through the running servers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.__main__ import cli
from bot.errors import ConversationStoreUnavailable
from bot.processes.stack import StackConfig
from bot.server import patches
from bot.server.conversation_store import RecentTurnsTrackerStore, recent_turns
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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'conversations.db'}"
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def store_at(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[], RecentTurnsTrackerStore]:
    """Opens the store on one database, as a (re)started Rasa server does."""
    monkeypatch.setenv("BOT_TRACKER_DB_URL", database_url)
    monkeypatch.setenv("BOT_CONVERSATION_TURNS", "10")
    return lambda: RecentTurnsTrackerStore(DOMAIN)


def stored_texts(store: RecentTurnsTrackerStore) -> str:
    with store.session_scope() as session:
        return " ".join(row.data for row in session.query(store.SQLEvent))


def test_the_store_cuts_at_twice_the_turns_kept(store_at: Callable[[], RecentTurnsTrackerStore]) -> None:
    store = store_at()
    asyncio.run(store.save(conversation(19)))
    assert len(user_texts(asyncio.run(store.retrieve("someone")))) == 19
    asyncio.run(store.save(conversation(20)))
    kept = asyncio.run(store.retrieve("someone"))
    assert user_texts(kept) == [f"question {turn}" for turn in range(10, 20)]
    assert kept.get_slot("topic") == "topic 19" and kept.get_slot("failures") == 2.0


def test_the_turns_cut_off_leave_the_database(store_at: Callable[[], RecentTurnsTrackerStore]) -> None:
    store = store_at()
    asyncio.run(store.save(conversation(20)))
    assert "question 9\"" not in stored_texts(store) and "question 10\"" in stored_texts(store)


def stored_rows(store: RecentTurnsTrackerStore) -> list[str]:
    with store.session_scope() as session:
        return [row.type_name for row in session.query(store.SQLEvent).order_by(store.SQLEvent.id)]


def test_a_retrieved_conversation_stores_its_new_events_without_counting_the_stored_ones(
        store_at: Callable[[], RecentTurnsTrackerStore], monkeypatch: pytest.MonkeyPatch) -> None:
    store = store_at()
    asyncio.run(store.save(conversation(3)))  # not retrieved: Rasa counts what is stored (nothing)
    tracker = asyncio.run(store.retrieve("someone"))

    def count_query(*args: object) -> None:
        raise AssertionError("the stored events were counted")

    monkeypatch.setattr(SQLTrackerStore, "_additional_events", count_query)
    tracker.update(UserUttered("question 3", {"name": "ask", "confidence": 1.0}))
    asyncio.run(store.save(tracker))
    tracker.update(ActionExecuted("action_answer"))
    asyncio.run(store.save(tracker))  # saved twice in one turn: only what came after the first save
    assert stored_rows(store) == [event.type_name for event in tracker.events]
    assert user_texts(asyncio.run(store.retrieve("someone"))) == [f"question {turn}" for turn in range(4)]


def test_a_conversation_saved_again_after_its_cut_gets_only_its_new_events(
        store_at: Callable[[], RecentTurnsTrackerStore]) -> None:
    store = store_at()
    tracker = conversation(20)
    asyncio.run(store.save(tracker))  # cut back to 10 turns
    tracker.update(ActionExecuted("action_answer"))
    asyncio.run(store.save(tracker))
    kept = asyncio.run(store.retrieve("someone"))
    assert user_texts(kept) == [f"question {turn}" for turn in range(10, 20)]
    assert stored_rows(store)[-2:] == ["action", "action"] and len(stored_rows(store)) == len(kept.events)
    assert kept.events[-1] == ActionExecuted("action_answer") and kept.events[-2] == ActionExecuted("action_listen")


def test_the_latest_session_is_read_as_rasas_store_reads_it(store_at: Callable[[], RecentTurnsTrackerStore]) -> None:
    store = store_at()
    asyncio.run(store.save(conversation(2)))  # no session start stored: every event counts

    def read_by_both(sender: str) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        ours = asyncio.run(store.retrieve(sender))
        rasas = asyncio.run(SQLTrackerStore._retrieve(store, sender, fetch_events_from_all_sessions=False))
        return [event.as_dict() for event in ours.events], [event.as_dict() for event in rasas.events]

    ours, rasas = read_by_both("someone")
    assert ours == rasas and len(ours) == len(conversation(2).events)
    restarted = list(conversation(2).events) + [ActionExecuted("action_session_start"), SessionStarted(),
                                                ActionExecuted("action_listen"), UserUttered("a new session")]
    asyncio.run(store.save(DialogueStateTracker.from_events("restarted", restarted, slots=DOMAIN.slots)))
    ours, rasas = read_by_both("restarted")
    assert ours == rasas and [event["event"] for event in ours] == ["session_started", "action", "user"]
    assert asyncio.run(store.retrieve("nobody")) is None


def test_a_conversation_survives_a_restart(store_at: Callable[[], RecentTurnsTrackerStore]) -> None:
    asyncio.run(store_at().save(conversation(25, form_from_turn=3)))
    after_restart = asyncio.run(store_at().retrieve("someone"))
    assert user_texts(after_restart) == [f"question {turn}" for turn in range(15, 25)]
    assert after_restart.active_loop_name == "some_form"
    # The next message is appended to what was stored, not stored again.
    grown = conversation(26, form_from_turn=3)
    asyncio.run(store_at().save(DialogueStateTracker.from_events(
        "someone", list(after_restart.events) + list(grown.events)[-4:], slots=DOMAIN.slots)))
    assert user_texts(asyncio.run(store_at().retrieve("someone"))) == [f"question {turn}" for turn in range(15, 26)]


def say(config: StackConfig, sender: str, text: str) -> str:
    reply = requests.post(config.rest_url, json={"sender": sender, "message": text}, timeout=30)
    return "\n".join(message.get("text", "") for message in reply.json())


def test_a_long_conversation_keeps_its_context_and_only_its_recent_turns(
        trained_model: Path, tmp_path_factory: pytest.TempPathFactory, responses: dict[str, str]) -> None:
    token = uuid.uuid4().hex
    # Two Rasa server processes: consecutive messages reach either, and both see the conversation.
    with started_stack(trained_model, tmp_path_factory, env={"BOT_CONVERSATION_TURNS": "3"},
                       api_token=token, workers=2) as (config, _):
        sender = f"long-{uuid.uuid4().hex}"
        say(config, sender, "hello")
        assert say(config, sender, "do tour guides need a certificate?") == \
            responses["utter_catalog_tour_guide__needed"]
        for _ in range(6):
            say(config, sender, "thanks")
        # The topic was asked seven messages and two cuts ago; the slot carried it.
        assert say(config, sender, "what about lawyers?") == responses["utter_catalog_lawyer__needed"]
        tracker = requests.get(f"http://{config.host}:{config.rasa_port}/conversations/{sender}/tracker",
                               params={"token": token}, timeout=30).json()
    user_messages = [event["text"] for event in tracker["events"] if event["event"] == "user"]
    assert len(user_messages) < 6 and user_messages[-1] == "what about lawyers?"


def test_a_conversation_continues_after_a_restart(
        trained_model: Path, tmp_path_factory: pytest.TempPathFactory, responses: dict[str, str],
        database_url: str) -> None:
    env = {"BOT_TRACKER_DB_URL": database_url}  # SQLite, then PostgreSQL
    sender = f"restart-{uuid.uuid4().hex}"
    with started_stack(trained_model, tmp_path_factory, env) as (config, _):
        assert say(config, sender, "do tour guides need a certificate?") == \
            responses["utter_catalog_tour_guide__needed"]
    with started_stack(trained_model, tmp_path_factory, env) as (config, _):
        assert say(config, sender, "what about lawyers?") == responses["utter_catalog_lawyer__needed"]


def test_event_types_are_still_resolved_as_rasa_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])  # restored after the test
    patches._install_event_type_cache()
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("user") is UserUttered  # from the cache
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


UNREACHABLE = "postgresql://assistant:secret-password@127.0.0.1:1/conversations"  # nothing listens on port 1


def test_an_unreachable_database_is_an_error_not_a_forgotten_conversation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TRACKER_DB_URL", UNREACHABLE)
    store = RecentTurnsTrackerStore(DOMAIN)  # starts anyway: the database may come up later
    problem = store.check()
    assert problem is not None and "127.0.0.1:1/conversations" in problem and "secret-password" not in problem
    with pytest.raises(ConversationStoreUnavailable, match="the conversation store at postgresql://assistant:"):
        asyncio.run(store.retrieve("someone"))
    with pytest.raises(ConversationStoreUnavailable):
        asyncio.run(store.save(conversation(2)))


def test_the_servers_report_an_unreachable_database(
        trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with started_stack(trained_model, tmp_path_factory, {"BOT_TRACKER_DB_URL": UNREACHABLE}) as (config, log_path):
        health = requests.get(f"http://{config.host}:{config.rasa_port}/webhooks/health/", timeout=10)
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable" and health.json()["model"] == "ok"
        assert "127.0.0.1:1" in health.json()["conversations"]
        reply = requests.post(config.rest_url, json={"sender": "someone", "message": "hello"}, timeout=30)
        assert reply.status_code == 503 and "temporarily unavailable" in reply.json()["error"]
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "the conversation store at postgresql://assistant:***@127.0.0.1:1/conversations failed" in log
    assert "secret-password" not in log


def test_the_purge_deletes_old_conversations_and_only_those(
        store_at: Callable[[], RecentTurnsTrackerStore], database_url: str) -> None:
    store = store_at()
    old = conversation(3)
    for event in old.events:
        event.timestamp -= 40 * 24 * 3600
    asyncio.run(store.save(DialogueStateTracker.from_events("old", list(old.events), slots=DOMAIN.slots)))
    asyncio.run(store.save(DialogueStateTracker.from_events("recent", list(conversation(3).events),
                                                            slots=DOMAIN.slots)))
    result = CliRunner().invoke(cli, ["conversations", "purge", "--older-than", "30d"],
                                env={"BOT_TRACKER_DB_URL": database_url})
    assert result.exit_code == 0 and "1 conversation(s) untouched for more than 30d deleted" in result.output
    assert asyncio.run(store.keys()) == ["recent"]
    assert len(user_texts(asyncio.run(store.retrieve("recent")))) == 3
    # What was recorded of its messages for review goes with it (bot.review.tables).
    with sa.create_engine(database_url).connect() as connection:
        recorded = connection.execute(sa.text("SELECT sender_id, COUNT(*) FROM review_turns GROUP BY sender_id"))
        assert dict(recorded.all()) == {"recent": 3}


def test_a_malformed_period_is_a_clear_error() -> None:
    result = CliRunner().invoke(cli, ["conversations", "purge", "--older-than", "a month"])
    assert result.exit_code == 2 and "'a month' is not a period such as 30d (days) or 12h (hours)" in result.output
