"""Where the Rasa server keeps conversations: in a SQL database, each one cut to its recent
turns.

Rasa rebuilds a conversation from all its events on every message, and its policies work
out the dialogue state of every earlier turn, so with Rasa's own in-memory store message 150
of a conversation cost 4.5 times message 10 (bench/load_benchmark.py). The assistant needs
no old events: what a conversation carries forward lives in slots (the language, the topic
of "what about lawyers?", the lookup form's state) and the rules look back a few turns at
most. So when a conversation reaches twice BOT_CONVERSATION_TURNS user messages, it is cut
back to the last BOT_CONVERSATION_TURNS, after a new start that sets the slots and the
active form to what they were at the cut. A message then costs the same at any length.

Once a lookup is over, the certificate number and holder's name typed for it are taken out
of the stored conversation (bot.server.lookup_privacy).

With each message it stores how the message ended, and what could not be answered, for
the staff's review (bot.server.review_recording), in the same transaction.

When the database fails, the store raises ConversationStoreUnavailable, with the database's
address, to the channel, which tells the user and logs it; the health check asks check().
Rasa's own wrapper would instead forget the conversation and keep it in memory, with only a
log line (bot.server.patches removes that wrapper).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bot.errors import ConversationStoreUnavailable
from bot.review import tables as review_tables
from bot.review.tables import conversation_engine, create_tables, insert_new
from bot.server.lookup_privacy import without_lookup_details
from bot.server.review_recording import finished, record_feedback, without_texts_after_lookups
from bot.settings import current_settings


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


class RecentTurnsTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store keeping each conversation's recent turns only: SQLite under
    var/ by default, any SQLAlchemy URL in BOT_TRACKER_DB_URL (PostgreSQL, for instance).
    Conversations survive a restart, and every Rasa server process sees the same ones.
    The processes and replicas take turns on a conversation through the lock store
    (bot/server/locks/: a SQLite file on one machine, Redis across several)."""

    def __init__(self, domain: Domain | None = None, event_broker: Any = None, **kwargs: Any) -> None:
        settings = current_settings()
        url = make_url(settings.tracker_db_url)
        if url.get_backend_name() == "sqlite" and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # Rasa passes endpoints.yml's `url` as `host`; the address comes from the settings.
        kwargs.pop("host", None)
        super().__init__(domain, host=settings.tracker_db_url, event_broker=event_broker, **kwargs)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self.engine.dispose()  # type: ignore[has-type]
            self.engine = conversation_engine(url)
            self.sessionmaker = sessionmaker(bind=self.engine)
        elif url.get_backend_name() != "sqlite":
            # A server that restarted leaves every pooled connection dead: each is checked
            # before use, so service resumes with the first message, not after one error per
            # pooled connection.
            engine_url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(engine_url, pool_pre_ping=True, **create_engine_kwargs(engine_url))
            self.sessionmaker = sessionmaker(bind=self.engine)
        self.turns = settings.conversation_turns
        self.address = repr(url)  # with the password masked
        self._tables_ready = False
        self._events = self.SQLEvent.__table__
        self._latest_session = latest_session_query(self._events)

    @contextmanager
    def _database(self) -> Iterator[None]:
        """Turns a database failure into ConversationStoreUnavailable; creates the tables
        first if the database was down when the server started."""
        try:
            if not self._tables_ready:
                self.Base.metadata.create_all(self.engine)
                create_tables(self.engine)
                self._tables_ready = True
            yield
        except sa.exc.SQLAlchemyError as error:
            # The driver's own message, without SQLAlchemy's statement and parameters.
            detail = error.orig if isinstance(error, sa.exc.DBAPIError) else error
            raise ConversationStoreUnavailable(
                f"the conversation store at {self.address} failed: {type(error).__name__}: {detail}") from error

    def check(self) -> str | None:
        """None if the database answers, else what is wrong."""
        try:
            with self._database(), self.session_scope() as session:
                session.execute(sa.text("SELECT 1"))
        except ConversationStoreUnavailable as error:
            return str(error)
        return None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        with self._database():
            return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        with self._database():
            return await super().retrieve_full_tracker(sender_id)

    async def keys(self) -> Iterable[str]:
        with self._database():
            return await super().keys()

    async def save(self, tracker: DialogueStateTracker) -> None:
        with self._database():
            await self._save(tracker)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """Rasa's retrieval, through a query built once that reads only the events' data
        (Rasa builds its query for every message and loads each row as an ORM object: half
        of the retrieval's time, py-spy). All sessions (Rasa's HTTP API): Rasa's own."""
        if fetch_events_from_all_sessions:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        with self.session_scope() as session:
            rows = session.execute(self._latest_session, {"sender_id": sender_id}).scalars().all()
        if not self.domain or not rows:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)
        _mark_stored(tracker, len(rows))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events not stored yet. Rasa counts the stored events of the conversation's
        latest session with a query on every save (4% of a server process's time under
        load, py-spy); a tracker this store retrieved or saved knows how many it had then."""
        stored: int | None = getattr(tracker, _STORED_EVENTS, None)
        if stored is None:  # a tracker from elsewhere, such as Rasa's HTTP API
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, None)

    async def _save(self, tracker: DialogueStateTracker) -> None:
        # Cut at twice the length kept, so that a conversation is rewritten once every
        # `turns` messages rather than on every message.
        too_long = sum(isinstance(event, UserUttered) for event in tracker.events) >= 2 * self.turns
        cleaned = without_lookup_details(tracker, self.domain)
        await self.stream_events(tracker)
        # Rasa's store appends the events it has not stored yet; a cut or cleaned
        # conversation replaces all of its rows at once instead, so older turns and lookup
        # details leave the database. Rows go in with one insert of many rows: Rasa adds
        # them one by one as ORM objects, which was half of a save's time (py-spy).
        with self.session_scope() as session:
            fresh = list(self._additional_events(session, tracker))
            turns, feedback = finished(tracker.sender_id, tracker.events, len(tracker.events) - len(fresh))
            if not too_long and cleaned is None:
                events = fresh
            else:
                kept = cleaned or tracker
                events = list(recent_turns(kept, self.turns, self.domain).events if too_long else kept.events)
                session.execute(self._events.delete().where(self._events.c.sender_id == tracker.sender_id))
            if events:
                session.execute(self._events.insert(), [_row(tracker.sender_id, event) for event in events])
            # How each message just handled ended, for review and the daily counts.
            turns = without_texts_after_lookups(session.connection(), turns)
            insert_new(session.connection(), review_tables.turns, (turn.row() for turn in turns), "turn_key")
            record_feedback(session.connection(), feedback)
            session.commit()
        # A second save of this tracker (after a cut too) appends only what came after.
        _mark_stored(tracker, len(tracker.events))


def latest_session_query(events: sa.Table) -> sa.sql.Select:
    """The data of a conversation's events since its latest session start (all of them if
    it has none), in order: Rasa's SQLTrackerStore._event_query, for the `sender_id`
    parameter."""
    session_start = (sa.select(sa.func.max(events.c.timestamp))
                     .where(events.c.sender_id == sa.bindparam("sender_id"),
                            events.c.type_name == SessionStarted.type_name)
                     .scalar_subquery())
    return (sa.select(events.c.data)
            .where(events.c.sender_id == sa.bindparam("sender_id"),
                   sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
            .order_by(events.c.id))


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """An event's row, as Rasa's SQLTrackerStore.save stores it."""
    data = event.as_dict()
    return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"), "data": json.dumps(data)}


# How many of its events a tracker had when this store retrieved or saved it.
_STORED_EVENTS = "stored_events"


def _mark_stored(tracker: DialogueStateTracker, events: int) -> None:
    setattr(tracker, _STORED_EVENTS, events)
