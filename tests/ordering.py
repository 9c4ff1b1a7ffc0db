"""The ordering check of issue #12, shared by tests/test_scaled.py and bench/scaled_benchmark.py:
rapid messages of one conversation sent alternately straight to several replicas must be
answered in the order they arrived, each exactly once.

"The order they arrived" is made exact: each message is sent as soon as the one before it
holds its ticket in Redis's lock for the conversation (a few milliseconds), without waiting
for its answer, so several messages of the conversation are always queued at once.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import redis
import requests

from bot.server.locks.redis_locks import KEY_PREFIX

ARRIVAL_TIMEOUT_SECONDS = 10.0
# Messages a conversation of the check sends.
ORDERING_MESSAGES = 10


def ordering_texts() -> list[str]:
    return [f"how do I renew an expired certificate? ({index})" for index in range(ORDERING_MESSAGES)]


@dataclass
class OrderingResult:
    sent: list[str]
    replies: dict[int, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def problems(self, stored: list[dict[str, Any]]) -> list[str]:
        """What went wrong, given the conversation's stored events; empty when nothing did."""
        problems = list(self.errors)
        user = [event["text"] for event in stored if event["event"] == "user"]
        if user != self.sent:
            problems.append(f"stored user messages {user} are not the sent ones in order")
        # The bot messages after each user message, up to the next one: its answer, once.
        answers: list[list[str]] = []
        for event in stored:
            if event["event"] == "user":
                answers.append([])
            elif event["event"] == "bot" and answers:
                answers[-1].append(event.get("text") or "")
        stored_answers = ["\n".join(texts) for texts in answers]
        if stored_answers != [self.replies.get(index) for index in range(len(self.sent))]:
            problems.append("the answers stored after the messages are not the replies each message got")
        if len({json.dumps(event, sort_keys=True) for event in stored}) != len(stored):
            problems.append("an event is stored twice")
        return problems


def _tickets(red: redis.Redis, sender: str) -> int:
    stored = red.get(KEY_PREFIX + sender)
    return len(json.loads(stored)["tickets"]) if stored else 0


def send_rapidly(urls: list[str], sender: str, texts: list[str], red: redis.Redis,
                 session: requests.Session | None = None) -> OrderingResult:
    """Sends `texts` as one conversation, message i to urls[i % len(urls)], each as soon as
    every message sent before it has arrived; returns once every one is answered."""
    result = OrderingResult(sent=list(texts))
    http = session or requests.Session()
    in_flight: set[int] = set()
    lock = threading.Lock()

    def send(index: int) -> None:
        try:
            response = http.post(urls[index % len(urls)], json={"sender": sender, "message": texts[index]}, timeout=60)
            if response.status_code != 200:
                result.errors.append(f"message {index}: HTTP {response.status_code}")
            else:
                result.replies[index] = "\n".join(message.get("text", "") for message in response.json())
        except requests.RequestException as error:
            result.errors.append(f"message {index}: {error}")
        finally:
            with lock:
                in_flight.discard(index)

    threads = []
    for index in range(len(texts)):
        with lock:
            in_flight.add(index)
        threads.append(threading.Thread(target=send, args=(index,)))
        threads[-1].start()
        # Every message in flight holds a ticket from its arrival until just before its
        # answer: as many tickets as messages in flight means this one has arrived.
        deadline = time.monotonic() + ARRIVAL_TIMEOUT_SECONDS
        while True:
            with lock:
                waiting_for = len(in_flight)
            if _tickets(red, sender) >= waiting_for:
                break
            if time.monotonic() > deadline:
                result.errors.append(f"message {index} did not arrive within {ARRIVAL_TIMEOUT_SECONDS:.0f} s")
                break
            time.sleep(0.002)
    for thread in threads:
        thread.join()
    return result


def stored_events(tracker_db_url: str, sender: str) -> list[dict[str, Any]]:
    """The conversation's events as the SQL tracker store keeps them, in order."""
    with psycopg2.connect(tracker_db_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
        return [json.loads(row[0]) for row in cursor.fetchall()]
