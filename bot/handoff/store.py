"""Handed-over conversations, their messages, tickets, the outbox and the staff's presence,
in the conversation database (bot.review.tables). Every change of state is one UPDATE
that names the state it expects, so that two processes (two staff members taking the same
conversation, two servers timing it out) cannot both make it."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.errors import ConversationStoreUnavailable, HandoffError
from bot.review.store import ReviewStore
from bot.review.tables import handoff_messages, handoffs, outbox, presence, tickets

WAITING, LIVE, OFFERED, QUESTION, CONTACT, CLOSED = "waiting", "live", "offered", "question", "contact", "closed"
# How a handoff ended.
HANDED_BACK, CANCELLED, LEFT_MESSAGE, DECLINED, STAFF_LEFT = (
    "handed_back", "cancelled", "left_message", "declined", "staff_left")
USER, ASSISTANT, STAFF = "user", "assistant", "staff"
# A member of staff marked available counts as there while the console has asked this
# recently (it asks every few seconds while open).
PRESENT_SECONDS = 30.0
# A live conversation whose member of staff has not had the console open for this long is
# handed back to the assistant (they closed it, lost their connection or logged out).
STAFF_GONE_SECONDS = 120.0
# A message claimed by a process that did not send it within this long may be taken by another.
CLAIM_SECONDS = 30.0
# The most conversations one look sends to (a server process holding more looks again).
MAX_SENDERS = 1000
THIS_PROCESS = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Handoff:
    id: int
    sender_id: str
    channel: str
    address: str
    language: str
    status: str
    requested_at: float
    taken_by: str | None
    question: str | None


@dataclass(frozen=True)
class Line:
    at: float
    author: str
    text: str
    staff_name: str | None = None


@dataclass(frozen=True)
class Ticket:
    id: int
    sender_id: str
    channel: str
    language: str
    created_at: float
    question: str
    contact: str | None
    answered_by: str | None
    answered_at: float | None
    answer: str | None
    # Of the answer: "delivered", "pending" (the user's channel has not taken it yet) or
    # the error that stopped it; None before an answer.
    delivery: str | None


@dataclass(frozen=True)
class Outgoing:
    id: int
    sender_id: str
    channel: str
    address: str
    message: dict[str, Any]
    ticket_id: int | None


def _handoff(row: Any) -> Handoff:
    return Handoff(row.id, row.sender_id, row.channel, row.address, row.language, row.status, row.requested_at,
                   row.taken_by, row.question)


class HandoffStore:
    def __init__(self, store: ReviewStore) -> None:
        self.store = store

    # Conversations.

    def open_for(self, sender_id: str) -> Handoff | None:
        with self.store.transaction() as connection:
            row = connection.execute(sa.select(handoffs).where(
                handoffs.c.sender_id == sender_id, handoffs.c.status != CLOSED)).first()
        return _handoff(row) if row else None

    def latest_for(self, sender_id: str) -> Handoff | None:
        """The conversation's latest handoff, open or not."""
        with self.store.transaction() as connection:
            row = connection.execute(sa.select(handoffs).where(handoffs.c.sender_id == sender_id)
                                     .order_by(handoffs.c.id.desc()).limit(1)).first()
        return _handoff(row) if row else None

    def get(self, handoff_id: int) -> Handoff:
        with self.store.transaction() as connection:
            row = connection.execute(sa.select(handoffs).where(handoffs.c.id == handoff_id)).first()
        if row is None:
            raise HandoffError(f"there is no handed-over conversation {handoff_id}")
        return _handoff(row)

    def start(self, sender_id: str, channel: str, address: str, language: str, status: str,
              transcript: list[Line], now: float | None = None) -> Handoff:
        """Opens a handoff for the conversation with its transcript; one already open is
        returned as it is."""
        now = time.time() if now is None else now
        try:
            with self.store.transaction() as connection:
                handoff_id = connection.execute(handoffs.insert().values(
                    sender_id=sender_id, channel=channel, address=address, language=language, status=status,
                    requested_at=now)).inserted_primary_key[0]
                _add_lines(connection, handoff_id, transcript)
        except ConversationStoreUnavailable:
            # The unique index refused a second open handoff (a double press): that one stands.
            existing = self.open_for(sender_id)
            if existing is None:
                raise
            return existing
        return self.get(handoff_id)

    def move(self, handoff_id: int, expected: tuple[str, ...], status: str, **values: Any) -> bool:
        """Moves a handoff from one of the `expected` states to `status`; False if it was in
        none of them (another process moved it first)."""
        if status == CLOSED:
            values.setdefault("ended_at", time.time())
        with self.store.transaction() as connection:
            changed = connection.execute(handoffs.update().where(
                handoffs.c.id == handoff_id, handoffs.c.status.in_(expected)).values(status=status, **values))
        return bool(changed.rowcount == 1)

    def take(self, handoff_id: int, staff_name: str) -> bool:
        return self.move(handoff_id, (WAITING,), LIVE, taken_by=staff_name, taken_at=time.time())

    def add_line(self, handoff_id: int, author: str, text: str, staff_name: str | None = None) -> None:
        with self.store.transaction() as connection:
            _add_lines(connection, handoff_id, [Line(time.time(), author, text, staff_name)])

    def lines(self, handoff_id: int) -> list[Line]:
        with self.store.transaction() as connection:
            rows = connection.execute(sa.select(handoff_messages).where(
                handoff_messages.c.handoff_id == handoff_id).order_by(handoff_messages.c.id))
            return [Line(row.at, row.author, row.text, row.staff_name) for row in rows]

    def in_states(self, *states: str) -> list[Handoff]:
        with self.store.transaction() as connection:
            rows = connection.execute(sa.select(handoffs).where(handoffs.c.status.in_(states))
                                      .order_by(handoffs.c.requested_at))
            return [_handoff(row) for row in rows]

    def position(self, handoff: Handoff) -> int:
        """The conversation's place in the queue, 1 for the next to be taken."""
        with self.store.transaction() as connection:
            ahead = connection.execute(sa.select(sa.func.count()).select_from(handoffs).where(
                handoffs.c.status == WAITING, handoffs.c.requested_at < handoff.requested_at)).scalar_one()
        return int(ahead) + 1

    def overdue(self, wait_seconds: float, now: float | None = None) -> list[Handoff]:
        cutoff = (time.time() if now is None else now) - wait_seconds
        with self.store.transaction() as connection:
            rows = connection.execute(sa.select(handoffs).where(
                handoffs.c.status == WAITING, handoffs.c.requested_at < cutoff))
            return [_handoff(row) for row in rows]

    def live_without_staff(self, now: float | None = None) -> list[Handoff]:
        """Live conversations whose member of staff has not been seen for STAFF_GONE_SECONDS."""
        cutoff = (time.time() if now is None else now) - STAFF_GONE_SECONDS
        seen_recently = sa.select(presence.c.name).where(presence.c.seen_at >= cutoff)
        with self.store.transaction() as connection:
            rows = connection.execute(sa.select(handoffs).where(
                handoffs.c.status == LIVE, handoffs.c.taken_at < cutoff, handoffs.c.taken_by.not_in(seen_recently)))
            return [_handoff(row) for row in rows]

    # Tickets.

    def create_ticket(self, handoff: Handoff, question: str, contact: str | None) -> int:
        with self.store.transaction() as connection:
            return int(connection.execute(tickets.insert().values(
                sender_id=handoff.sender_id, channel=handoff.channel, address=handoff.address,
                language=handoff.language, created_at=time.time(), question=question,
                contact=contact)).inserted_primary_key[0])

    def tickets(self, open_only: bool = True) -> list[Ticket]:
        query = sa.select(tickets).order_by(tickets.c.created_at)
        if open_only:
            query = query.where(tickets.c.answered_at.is_(None))
        with self.store.transaction() as connection:
            rows = list(connection.execute(query))
            deliveries = _deliveries(connection, [row.id for row in rows])
        return [_ticket(row, deliveries.get(row.id)) for row in rows]

    def ticket(self, ticket_id: int) -> Ticket:
        with self.store.transaction() as connection:
            row = connection.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).first()
            deliveries = _deliveries(connection, [ticket_id])
        if row is None:
            raise HandoffError(f"there is no ticket {ticket_id}")
        return _ticket(row, deliveries.get(ticket_id))

    def answer_ticket(self, ticket_id: int, staff_name: str, answer: str, message: dict[str, Any]) -> None:
        """Records the answer and puts `message` (the answer as the user will read it) in the
        outbox; an answered ticket is not answered again."""
        ticket = self.ticket(ticket_id)
        with self.store.transaction() as connection:
            changed = connection.execute(tickets.update().where(
                tickets.c.id == ticket_id, tickets.c.answered_at.is_(None)).values(
                answered_by=staff_name, answered_at=time.time(), answer=answer))
            if changed.rowcount != 1:
                raise HandoffError(f"ticket {ticket_id} was answered already (by {ticket.answered_by})")
            row = connection.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).one()
            _enqueue(connection, row.sender_id, row.channel, row.address, message, ticket_id)

    # The outbox.

    def send_later(self, handoff: Handoff, message: dict[str, Any]) -> None:
        with self.store.transaction() as connection:
            _enqueue(connection, handoff.sender_id, handoff.channel, handoff.address, message, None)

    def undelivered(self, channels: tuple[str, ...] | None = None, sender_id: str | None = None,
                    sender_ids: list[str] | None = None, limit: int = 50) -> list[Outgoing]:
        """Messages not sent yet, oldest first: for some channels, one conversation or some
        (those a process holds); one claimed recently by a process is left to it."""
        query = sa.select(outbox).where(outbox.c.delivered_at.is_(None), outbox.c.error.is_(None), sa.or_(
            outbox.c.claimed_at.is_(None), outbox.c.claimed_at < time.time() - CLAIM_SECONDS))
        if channels is not None:
            query = query.where(outbox.c.channel.in_(channels))
        if sender_id is not None:
            query = query.where(outbox.c.sender_id == sender_id)
        if sender_ids is not None:
            query = query.where(outbox.c.sender_id.in_(sender_ids[:MAX_SENDERS]))
        with self.store.transaction() as connection:
            rows = connection.execute(query.order_by(outbox.c.id).limit(limit))
            return [Outgoing(row.id, row.sender_id, row.channel, row.address, json.loads(row.message), row.ticket_id)
                    for row in rows]

    def claim(self, message: Outgoing) -> bool:
        """Takes a message to send; False if another process took it first."""
        now = time.time()
        with self.store.transaction() as connection:
            changed = connection.execute(outbox.update().where(
                outbox.c.id == message.id, outbox.c.delivered_at.is_(None), outbox.c.error.is_(None),
                sa.or_(outbox.c.claimed_at.is_(None), outbox.c.claimed_at < now - CLAIM_SECONDS)).values(
                claimed_by=THIS_PROCESS, claimed_at=now))
        return bool(changed.rowcount == 1)

    def delivered(self, message: Outgoing) -> None:
        with self.store.transaction() as connection:
            connection.execute(outbox.update().where(outbox.c.id == message.id).values(delivered_at=time.time()))

    def failed(self, message: Outgoing, error: str) -> None:
        with self.store.transaction() as connection:
            connection.execute(outbox.update().where(outbox.c.id == message.id).values(error=error[:1000]))

    # Staff presence.

    def set_available(self, staff_name: str, available: bool) -> None:
        with self.store.transaction() as connection:
            changed = connection.execute(presence.update().where(presence.c.name == staff_name).values(
                available=available, seen_at=time.time()))
            if changed.rowcount == 0:
                connection.execute(presence.insert().values(name=staff_name, available=available,
                                                            seen_at=time.time()))

    def seen(self, staff_name: str) -> bool:
        """Records that the member of staff has the console open; whether they are available."""
        with self.store.transaction() as connection:
            connection.execute(presence.update().where(presence.c.name == staff_name).values(seen_at=time.time()))
            available = connection.execute(sa.select(presence.c.available).where(
                presence.c.name == staff_name)).scalar()
        return bool(available)

    def available_staff(self, now: float | None = None) -> list[str]:
        cutoff = (time.time() if now is None else now) - PRESENT_SECONDS
        with self.store.transaction() as connection:
            return list(connection.execute(sa.select(presence.c.name).where(
                presence.c.available.is_(True), presence.c.seen_at >= cutoff).order_by(presence.c.name)).scalars())


def _add_lines(connection: sa.engine.Connection, handoff_id: int, lines: list[Line]) -> None:
    if lines:
        connection.execute(handoff_messages.insert(), [
            {"handoff_id": handoff_id, "at": line.at, "author": line.author, "text": line.text,
             "staff_name": line.staff_name} for line in lines])


def _enqueue(connection: sa.engine.Connection, sender_id: str, channel: str, address: str,
             message: dict[str, Any], ticket_id: int | None) -> None:
    connection.execute(outbox.insert().values(
        sender_id=sender_id, channel=channel, address=address, created_at=time.time(),
        message=json.dumps(message, ensure_ascii=False), ticket_id=ticket_id))


def _deliveries(connection: sa.engine.Connection, ticket_ids: list[int]) -> dict[int, str]:
    if not ticket_ids:
        return {}
    rows = connection.execute(sa.select(outbox.c.ticket_id, outbox.c.delivered_at, outbox.c.error).where(
        outbox.c.ticket_id.in_(ticket_ids)))
    return {row.ticket_id: "delivered" if row.delivered_at else (row.error or "pending") for row in rows}


def _ticket(row: Any, delivery: str | None) -> Ticket:
    return Ticket(row.id, row.sender_id, row.channel, row.language, row.created_at, row.question, row.contact,
                  row.answered_by, row.answered_at, row.answer, delivery)
