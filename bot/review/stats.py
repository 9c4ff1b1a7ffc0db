"""How the assistant is doing, counted from what bot.server.review_recording keeps of each
message: per day and language, how many messages ended each way, and how long answers
took. The staff console's dashboard and the Prometheus metrics read the same figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bot.handoff.store import CLOSED
from bot.review.outcomes import OUTCOMES
from bot.review.tables import feedback, handoffs, presence, tickets, turns

# Upper bounds (seconds) of the answer latency histogram.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Day:
    day: str  # YYYY-MM-DD, in the server's time zone
    language: str
    counts: dict[str, int]
    # Answers of that day users marked helpful and not helpful.
    helpful: int = 0
    not_helpful: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def daily_counts(connection: sa.engine.Connection, since: float) -> list[Day]:
    """Per day and language since a Unix time, how many messages ended each way, newest first."""
    rows = connection.execute(sa.select(turns.c.asked_at, turns.c.language, turns.c.outcome)
                              .where(turns.c.asked_at >= since))
    counted: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    for asked_at, language, outcome in rows:
        counted[(_day(asked_at), language)][outcome] = counted[(_day(asked_at), language)].get(outcome, 0) + 1
    marked: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for asked_at, language, helpful in connection.execute(
            sa.select(turns.c.asked_at, turns.c.language, feedback.c.helpful)
            .join(feedback, feedback.c.turn_key == turns.c.turn_key).where(turns.c.asked_at >= since)):
        marked[(_day(asked_at), language)][0 if helpful else 1] += 1
    return [Day(day, language, counts, *marked.get((day, language), (0, 0)))
            for (day, language), counts in sorted(counted.items(), reverse=True)]


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d")


def feedback_totals(connection: sa.engine.Connection) -> dict[tuple[str, bool], int]:
    """(language, helpful) -> answers marked so, over everything kept."""
    rows = connection.execute(sa.select(turns.c.language, feedback.c.helpful, sa.func.count())
                              .join(feedback, feedback.c.turn_key == turns.c.turn_key)
                              .group_by(turns.c.language, feedback.c.helpful))
    return {(language, bool(helpful)): count for language, helpful, count in rows}


def totals(connection: sa.engine.Connection) -> dict[tuple[str, str], int]:
    """(language, outcome) -> messages, over everything kept."""
    rows = connection.execute(sa.select(turns.c.language, turns.c.outcome, sa.func.count())
                              .group_by(turns.c.language, turns.c.outcome))
    return {(language, outcome): count for language, outcome, count in rows}


@dataclass(frozen=True)
class Latencies:
    """How many answers took at most each bucket's seconds (cumulative), their count and sum."""

    buckets: Sequence[tuple[float, int]]
    count: int
    total_seconds: float


def latencies(connection: sa.engine.Connection) -> Latencies:
    seconds = turns.c.answer_seconds
    columns = [sa.func.sum(sa.case((seconds <= bound, 1), else_=0)) for bound in LATENCY_BUCKETS]
    row = connection.execute(sa.select(*columns, sa.func.count(seconds), sa.func.sum(seconds))
                             .where(seconds.is_not(None))).one()
    *within, count, total = row
    return Latencies([(bound, int(n or 0)) for bound, n in zip(LATENCY_BUCKETS, within, strict=True)], int(count or 0),
                     float(total or 0.0))


def open_questions(connection: sa.engine.Connection) -> int:
    return int(connection.execute(sa.select(sa.func.count()).where(turns.c.for_review.is_(True),
                                                                   turns.c.status == "open")).scalar() or 0)


@dataclass(frozen=True)
class HandoffFigures:
    """Conversations handed to staff now open, by state (waiting, live, offered, ...), those
    that ended, by how (over the conversations kept), open tickets and staff available."""

    open_by_status: dict[str, int]
    ended_by_how: dict[str, int]
    open_tickets: int
    staff_available: int


def handoff_figures(connection: sa.engine.Connection, now: float, present_seconds: float) -> HandoffFigures:
    by_status = {row[0]: row[1] for row in connection.execute(sa.select(handoffs.c.status, sa.func.count()).where(
        handoffs.c.status != CLOSED).group_by(handoffs.c.status))}
    by_how = {row[0]: row[1] for row in connection.execute(sa.select(handoffs.c.ended_how, sa.func.count()).where(
        handoffs.c.status == CLOSED).group_by(handoffs.c.ended_how))}
    open_tickets = connection.execute(sa.select(sa.func.count()).select_from(tickets).where(
        tickets.c.answered_at.is_(None))).scalar()
    available = connection.execute(sa.select(sa.func.count()).select_from(presence).where(
        presence.c.available.is_(True), presence.c.seen_at >= now - present_seconds)).scalar()
    return HandoffFigures({str(k): int(v) for k, v in by_status.items()},
                          {str(k): int(v) for k, v in by_how.items()}, int(open_tickets or 0), int(available or 0))
