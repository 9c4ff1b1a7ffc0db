"""The review queue and the staff's decisions on it, in the conversation database."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.errors import ConversationStoreUnavailable, ReviewError
from bot.review.grouping import Group, Question, group_questions
from bot.review.outcomes import NOT_HELPFUL
from bot.review.tables import audit, conversation_engine, create_tables, feedback, turns

OPEN = "open"
# What a curator can decide about a group of questions.
ACCEPTED, OUT_OF_SCOPE, NEW_ENTRY, DISMISSED = "accepted", "out_of_scope", "new_entry", "dismissed"


@dataclass(frozen=True)
class Filters:
    """Which open questions to list: a language, an outcome, asked since a Unix time."""

    language: str | None = None
    outcome: str | None = None
    since: float | None = None


class ReviewStore:
    def __init__(self, database_url: str) -> None:
        url = sa.engine.make_url(database_url)
        self.engine = conversation_engine(url)
        self.address = repr(url)  # with the password masked
        try:
            create_tables(self.engine)
        except sa.exc.SQLAlchemyError as error:
            raise ConversationStoreUnavailable(f"the conversation store at {self.address} failed: {error}") from error

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[sa.engine.Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except sa.exc.SQLAlchemyError as error:
            detail = error.orig if isinstance(error, sa.exc.DBAPIError) else error
            raise ConversationStoreUnavailable(
                f"the conversation store at {self.address} failed: {type(error).__name__}: {detail}") from error

    def groups(self, filters: Filters = Filters()) -> list[Group]:
        """The open questions grouped by likeness; a group is listed when one of its
        questions passes the filters."""
        with self.transaction() as connection:
            # An answer marked "not helpful" is listed as such, whatever its outcome.
            outcome = sa.case((feedback.c.helpful.is_(False), NOT_HELPFUL), else_=turns.c.outcome)
            rows = connection.execute(
                sa.select(turns.c.id, turns.c.text, turns.c.language, outcome, turns.c.asked_at)
                .select_from(turns.outerjoin(feedback, feedback.c.turn_key == turns.c.turn_key))
                .where(turns.c.for_review.is_(True), turns.c.status == OPEN).order_by(turns.c.id)).all()
        groups = group_questions([Question(*row) for row in rows])
        return [group for group in groups if any(_passes(question, filters) for question in group.questions)]

    def group(self, group_id: str) -> Group:
        for group in self.groups():
            if group.id == group_id.lower():
                return group
        raise ReviewError(f"there is no open group {group_id!r}: list the groups again "
                          "(`python -m bot review`), the queue may have changed")

    def resolve(self, group: Group, status: str, actor: str, resolution: dict[str, object]) -> None:
        """Records a decision on every question of the group, and who took it."""
        detail = json.dumps({"group": group.id, "questions": len(group.questions), **resolution}, ensure_ascii=False)
        now = time.time()
        with self.transaction() as connection:
            connection.execute(turns.update().where(turns.c.id.in_([q.id for q in group.questions]))
                               .values(status=status, resolved_by=actor, resolved_at=now, resolution=detail))
            connection.execute(audit.insert().values(at=now, actor=actor, action=status, detail=detail))

    def new_entry_requests(self) -> list[dict[str, Any]]:
        """The questions marked as needing a new entry, for export."""
        with self.transaction() as connection:
            rows = connection.execute(sa.select(turns.c.id, turns.c.text, turns.c.language, turns.c.asked_at,
                                                turns.c.resolved_by, turns.c.resolved_at)
                                      .where(turns.c.status == NEW_ENTRY).order_by(turns.c.id))
            return [dict(row._mapping) for row in rows]

    def record(self, actor: str, action: str, detail: str) -> None:
        """Adds a line to the record of who did what."""
        with self.transaction() as connection:
            connection.execute(audit.insert().values(at=time.time(), actor=actor, action=action, detail=detail))

    def history(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.transaction() as connection:
            rows = connection.execute(sa.select(audit).order_by(audit.c.id.desc()).limit(limit))
            return [dict(row._mapping) for row in rows]


def when(timestamp: float) -> str:
    """A Unix time as staff read it, in the server's time zone."""
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _passes(question: Question, filters: Filters) -> bool:
    return ((filters.language is None or question.language == filters.language)
            and (filters.outcome is None or question.outcome == filters.outcome)
            and (filters.since is None or question.asked_at >= filters.since))
