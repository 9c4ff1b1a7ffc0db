"""How fast what staff write reaches a widget user in a handed-over conversation (issue #28),
and a user's message reaches the staff's side.

    .venv/bin/python bench/handoff_benchmark.py [--users 8] [--replies 10] [--redis]

The assistant runs as deployed (BOT_SERVER_WORKERS processes, each widget socket held by one
of them). --users widget users (python-socketio, WebSocket, as the widget) ask for a person;
a member of staff, available, takes every conversation (bot.handoff.desk, as the console
does) and sends --replies replies to each, one user after another, at random moments; each
reply's time is from the desk's write to the user's socket receiving it. Then each user
writes, timed until the message is in the conversation database, where the console's page
reads it (every 2 s).
Without --redis the server processes look for messages every 0.5 s; with --redis
(BOT_SOCKETIO_MANAGER=redis, as scaled out) a message wakes them through Redis. No target:
the issue sets none. Results are printed and written to results/handoff.json (or
results/handoff_redis.json).
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_benchmark import MODEL, start_assistant  # noqa: E402
from bot.handoff.desk import Desk  # noqa: E402
from bot.handoff.store import HandoffStore  # noqa: E402
from bot.knowledge.loader import current_knowledge  # noqa: E402
from bot.review.store import ReviewStore  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402

RESULTS = PROJECT_ROOT / "results"
STAFF = "bench-staff"
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of the local Redis that nothing else uses


class WidgetUser:
    """A widget's socket: what it receives, with the time it arrived."""

    def __init__(self, url: str, origin: str) -> None:
        self.received: queue.Queue[tuple[float, str]] = queue.Queue()
        confirmed: queue.Queue[str] = queue.Queue()
        self.client = socketio.Client(websocket_extra_options={"origin": origin})
        self.client.on("session_confirm", confirmed.put)
        self.client.on("bot_uttered", lambda message: self.received.put((time.monotonic(), message.get("text", ""))))
        self.client.connect(url, transports=["websocket"])
        self.client.emit("session_request", {"session_id": None})
        self.session_id = confirmed.get(timeout=30)

    def say(self, text: str) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    def arrival_of(self, text: str, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        while True:
            at, said = self.received.get(timeout=max(0.01, deadline - time.monotonic()))
            if text in said:
                return at


def figures(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"count": len(ordered), "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
            "max_ms": round(1000 * ordered[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--replies", type=int, default=10, help="replies from staff to each user")
    parser.add_argument("--redis", action="store_true", help="wake-ups through Redis, as scaled out")
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run `make train` first")
    RESULTS.mkdir(exist_ok=True)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        log = stack.enter_context((RESULTS / "handoff-benchmark-servers.log").open("wb"))
        redis = {"BOT_SOCKETIO_MANAGER": "redis", "BOT_REDIS_URL": REDIS_URL} if args.redis else {}
        config, _, _ = start_assistant(stack, folder, log, **redis)
        desk = Desk(HandoffStore(ReviewStore(config.settings.tracker_db_url)), config.settings, current_knowledge)
        desk.store.set_available(STAFF, True)
        present = threading.Event()

        def keep_present() -> None:  # as the console's page does while open
            while not present.wait(2.0):
                desk.store.seen(STAFF)

        threading.Thread(target=keep_present, daemon=True).start()
        url = f"http://{config.host}:{config.rasa_port}"
        users = [WidgetUser(url, f"http://localhost:{config.web_port}") for _ in range(args.users)]
        for user in users:
            user.say("talk to a person")
            user.arrival_of("I have asked a member of staff")
        handoffs = {user.session_id: desk.store.open_for(user.session_id) for user in users}
        for user in users:
            handoff = handoffs[user.session_id]
            assert handoff is not None, "a user's request was not queued"
            desk.take(handoff.id, STAFF)
            user.arrival_of("A member of staff has joined")
        to_user: list[float] = []
        for number in range(args.replies):
            for index, user in enumerate(users):
                text = f"reply {number} to user {index}"
                handoff = handoffs[user.session_id]
                assert handoff is not None
                time.sleep(random.uniform(0.0, 1.0))  # staff write at any moment, not in step with the servers
                written = time.monotonic()
                desk.reply(handoff.id, STAFF, text)
                to_user.append(user.arrival_of(text) - written)
        to_staff: list[float] = []
        for index, user in enumerate(users):
            handoff = handoffs[user.session_id]
            assert handoff is not None
            text = f"message from user {index}"
            sent = time.monotonic()
            user.say(text)
            while desk.store.lines(handoff.id)[-1].text != text:
                time.sleep(0.005)
            to_staff.append(time.monotonic() - sent)
        present.set()
        for user in users:
            user.client.disconnect()
    result = {"benchmark": "handoff", "date": datetime.now().isoformat(timespec="seconds"),
              "command": f"bench/handoff_benchmark.py{' --redis' if args.redis else ''}", "users": args.users,
              "server_processes": config.settings.server.workers, "wakeups_through_redis": args.redis,
              "staff_reply_to_widget": figures(to_user), "user_message_to_database": figures(to_staff)}
    name = "handoff_redis.json" if args.redis else "handoff.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"staff reply -> widget ({len(to_user)} replies, {args.users} users, "
          f"{'wake-ups through Redis' if args.redis else 'servers looking every 0.5 s'}): "
          f"p50 {result['staff_reply_to_widget']['p50_ms']} ms, p95 {result['staff_reply_to_widget']['p95_ms']} ms, "
          f"max {result['staff_reply_to_widget']['max_ms']} ms")
    print(f"user message -> conversation database: p50 {result['user_message_to_database']['p50_ms']} ms, "
          f"p95 {result['user_message_to_database']['p95_ms']} ms")
    print(f"written to {RESULTS / name}")


if __name__ == "__main__":
    main()
