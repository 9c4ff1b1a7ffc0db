"""GET /webhooks/metrics: the assistant's figures in Prometheus's text format, made with
the official client library: messages by language and how they ended, answer latencies,
answers marked helpful or not, questions waiting for review, conversations handed to staff,
open tickets and staff available. Read at each scrape from the conversation database
(bot.review.stats), so every process and replica reports the same figures."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff.store import CONTACT, LIVE, OFFERED, PRESENT_SECONDS, QUESTION, WAITING
from bot.review import stats
from bot.review.store import ReviewStore
from bot.settings import current_settings


class _Figures(Collector):
    def __init__(self, store: ReviewStore) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        with self.store.engine.connect() as connection:
            totals = stats.totals(connection)
            marked = stats.feedback_totals(connection)
            latencies = stats.latencies(connection)
            waiting = stats.open_questions(connection)
            handed = stats.handoff_figures(connection, time.time(), PRESENT_SECONDS)
        messages = CounterMetricFamily("assistant_messages", "User messages, by language and how they ended "
                                       "(answered, hedged, declined, unlisted, not_covered, fallback, conversation, "
                                       "lookup), over the conversations kept", labels=["language", "outcome"])
        for (language, outcome), count in sorted(totals.items()):
            messages.add_metric([language, outcome], count)
        yield messages
        feedback = CounterMetricFamily("assistant_answers_marked", "Answers users marked helpful or not helpful, "
                                       "by language, over the conversations kept", labels=["language", "helpful"])
        for (language, helpful), count in sorted(marked.items()):
            feedback.add_metric([language, "yes" if helpful else "no"], count)
        yield feedback
        seconds = HistogramMetricFamily("assistant_answer_seconds", "From a user's message to the assistant's "
                                        "last reply to it, in seconds")
        seconds.add_metric([], [(str(bound), count) for bound, count in latencies.buckets]
                           + [("+Inf", latencies.count)], latencies.total_seconds)
        yield seconds
        yield GaugeMetricFamily("assistant_review_open_questions", "Questions waiting in the staff's review queue",
                                value=waiting)
        open_handoffs = GaugeMetricFamily("assistant_handoffs_open", "Conversations handed to staff, by state "
                                          "(waiting, live, offered, question, contact)", labels=["status"])
        for status in (WAITING, LIVE, OFFERED, QUESTION, CONTACT):
            open_handoffs.add_metric([status], handed.open_by_status.get(status, 0))
        yield open_handoffs
        ended = CounterMetricFamily("assistant_handoffs_ended", "Conversations handed to staff that ended, by how "
                                    "(handed_back, cancelled, left_message, declined, staff_left), over the "
                                    "conversations kept", labels=["how"])
        for how, count in sorted(handed.ended_by_how.items()):
            ended.add_metric([how], count)
        yield ended
        yield GaugeMetricFamily("assistant_tickets_open", "Questions left for staff, not answered yet",
                                value=handed.open_tickets)
        yield GaugeMetricFamily("assistant_staff_available", "Members of staff available in the console now",
                                value=handed.staff_available)


class MetricsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "metrics"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        metrics = Blueprint("metrics", __name__)
        registry = CollectorRegistry(auto_describe=False)
        store: list[ReviewStore] = []
        opening = threading.Lock()

        def scrape() -> bytes:
            with opening:  # two first scrapes at once register one collector
                if not store:  # the database may be down when the server starts
                    store.append(ReviewStore(current_settings().tracker_db_url))
                    registry.register(_Figures(store[0]))
            return generate_latest(registry)

        @metrics.route("", methods=["GET"])
        async def figures(request: Request) -> HTTPResponse:
            return response.raw(await asyncio.to_thread(scrape), content_type=CONTENT_TYPE_LATEST)

        return metrics
