"""The review tables, kept in the conversation database (SQLite by default, PostgreSQL
when scaled out) beside Rasa's `events`, so that they live and are purged with the
conversations they come from."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import QueuePool

metadata = sa.MetaData()

# One row per user message the assistant handled: how it ended (for the counts per day and
# language), and for a message to review, what was asked and answered.
turns = sa.Table(
    "review_turns", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # The conversation and the message's time: a message saved twice is recorded once.
    sa.Column("turn_key", sa.String(300), nullable=False, unique=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("asked_at", sa.Float, nullable=False, index=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    # From the message to the assistant's last reply to it.
    sa.Column("answer_seconds", sa.Float),
    sa.Column("for_review", sa.Boolean, nullable=False, index=True),
    # Only for a message to review: its text (numbers masked), how sure the assistant was,
    # what it considered (JSON) and what it answered.
    sa.Column("text", sa.Text),
    sa.Column("confidence", sa.Float),
    sa.Column("candidates", sa.Text),
    sa.Column("answer", sa.Text),
    # open, accepted, out_of_scope, new_entry or dismissed; who decided, when and what.
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("resolved_by", sa.String(64)),
    sa.Column("resolved_at", sa.Float),
    sa.Column("resolution", sa.Text),
)

# Users' "helpful" / "not helpful" on an answer: the message it answered (the first press
# counts), and when.
feedback = sa.Table(
    "review_feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("turn_key", sa.String(300), nullable=False, unique=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("helpful", sa.Boolean, nullable=False),
)

# Staff who may use the review tools; passwords only as Argon2id hashes.
staff = sa.Table(
    "staff_accounts", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Who did what and when, in the console or on the command line.
audit = sa.Table(
    "staff_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)

# Trainings of the model, from the console or the command line: one at a time (the index
# allows one running row), and what each found about the questions it was for.
trainings = sa.Table(
    "training_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("started_by", sa.String(64), nullable=False),
    # Where the training process runs, to tell one that died from one still running.
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.Column("message", sa.Text),
    sa.Column("checks", sa.Text),
    sa.Index("one_training_at_a_time", "status", unique=True,
             sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'")),
)


# Tries at creating the tables, and the pause between two.
_CREATE_TRIES, _CREATE_PAUSE_SECONDS = 5, 0.05


def conversation_engine(url: sa.engine.URL) -> sa.engine.Engine:
    """An engine on the conversation database. A SQLite file's connections are pooled:
    SQLAlchemy 1.4 would open a new one for every transaction (its NullPool), which the
    conversation store and the handoff desk each do on every message. Other databases' pooled
    connections are checked before use, so that after a restart of the database service
    resumes with the first message, not after one error per connection."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return sa.create_engine(url, pool_pre_ping=url.get_backend_name() != "sqlite")
    Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
    # The pool hands a connection to one thread at a time (the event loop's, or a worker's).
    engine = sa.create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    # WAL: the Rasa server processes read while one writes. NORMAL: a commit waits for the
    # disk only at checkpoints; a crash of the process loses nothing, a power cut the last
    # commits at most.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


def create_tables(engine: sa.engine.Engine) -> None:
    """Creates the tables that do not exist yet. Processes that start together race to
    create them, and the losers' errors ("already exists", "database is locked") pass when
    they look again; a lasting failure is raised from the last try."""
    for attempt in range(_CREATE_TRIES):
        try:
            metadata.create_all(engine)
            return
        except sa.exc.DBAPIError:
            if attempt == _CREATE_TRIES - 1:
                raise
            time.sleep(_CREATE_PAUSE_SECONDS * (attempt + 1))


def insert_new(connection: sa.engine.Connection, table: sa.Table, rows: Iterable[Mapping[str, Any]],
               unique: str) -> None:
    """Inserts the rows whose `unique` column is not in the table yet (SQLite, PostgreSQL)."""
    rows = list(rows)
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(table).on_conflict_do_nothing(index_elements=[unique]), rows)


# Staff logins: a hash of the session cookie's token (never the token itself), whose login
# it is, the CSRF token of its forms, and when it ends.
sessions = sa.Table(
    "staff_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)


# Conversations handed to staff (bot.handoff): one open row per conversation at most, from
# the request for a person until it is handed back, cancelled, or a message is left.
HANDOFF_OPEN = "status != 'closed'"
handoffs = sa.Table(
    "handoffs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    # Where the channel sends to, when it is not the sender id (a Slack channel).
    sa.Column("address", sa.String(255), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    # waiting, live, offered (to leave a message), question, contact (asked for them), closed.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("requested_at", sa.Float, nullable=False, index=True),
    sa.Column("taken_by", sa.String(64)),
    sa.Column("taken_at", sa.Float),
    sa.Column("ended_at", sa.Float),
    # handed_back, cancelled, left_message, declined, staff_left.
    sa.Column("ended_how", sa.String(16)),
    # The question typed while leaving a message, until the ticket is made.
    sa.Column("question", sa.Text),
    sa.Index("one_open_handoff_per_conversation", "sender_id", unique=True,
             sqlite_where=sa.text(HANDOFF_OPEN), postgresql_where=sa.text(HANDOFF_OPEN)),
)

# What was said in a handed-over conversation: the transcript before the request (lookup
# details removed), then the user's and the staff's messages.
handoff_messages = sa.Table(
    "handoff_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("handoff_id", sa.Integer, nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    # user, assistant or staff
    sa.Column("author", sa.String(16), nullable=False),
    sa.Column("staff_name", sa.String(64)),
    sa.Column("text", sa.Text, nullable=False),
)

# Questions left for staff, and their answers.
tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("address", sa.String(255), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("question", sa.Text, nullable=False),
    # A way to reach the user, only if they gave one.
    sa.Column("contact", sa.Text),
    sa.Column("answered_by", sa.String(64)),
    sa.Column("answered_at", sa.Float),
    sa.Column("answer", sa.Text),
)

# Messages for users that no user message asked for (a staff member's reply, a ticket's
# answer, "nobody could take it"): sent by a Rasa server process that holds the user's
# channel, or, on a channel that cannot send first (REST), with the next reply.
outbox = sa.Table(
    "handoff_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("address", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    # JSON: {"text": ..., "buttons": [{"title", "payload"}]}
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("ticket_id", sa.Integer, index=True),
    # Taken by one process to send (host:pid), sent, or why it could not be.
    sa.Column("claimed_by", sa.String(300)),
    sa.Column("claimed_at", sa.Float),
    sa.Column("delivered_at", sa.Float, index=True),
    sa.Column("error", sa.Text),
)

# Who among the staff takes conversations now: marked available in the console, and seen
# (the console asks every few seconds while it is open).
presence = sa.Table(
    "staff_presence", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("available", sa.Boolean, nullable=False),
    sa.Column("seen_at", sa.Float, nullable=False),
)
