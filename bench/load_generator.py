"""A closed-loop load generator for a Rasa REST channel, run in its own process so that it
loads every bot it measures the same way (bench/load_benchmark.py starts it).

    .venv/bin/python bench/load_generator.py URL TEXTS.json --users 8 --conversations 2 --messages 10

Each of --users concurrent users holds --conversations conversations one after another, each
a new sender id and --messages messages, and sends its next message as soon as the previous
one is answered. Texts are drawn in turn from the JSON list in TEXTS.json, starting at a
different place for each user (with --repeat-every N, a conversation's texts come round again
after N messages).

Prints one JSON object: the wall time, and for every message its position in its
conversation (1-based) and its latency in milliseconds. A failed request is counted in
"errors" with its reason, not timed; so is an empty reply, unless --allow-silence (the
stock bot's dialogue may choose to say nothing; the assistant always answers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from pathlib import Path

import aiohttp


async def _user(session: aiohttp.ClientSession, url: str, texts: list[str], start: int, args: argparse.Namespace,
                timings: list[tuple[int, float]], errors: list[str]) -> None:
    next_text = start
    for _ in range(args.conversations):
        sender = f"load-{uuid.uuid4().hex}"
        first = next_text
        for position in range(1, args.messages + 1):
            index = first + (position - 1) % args.repeat_every if args.repeat_every else next_text
            text = texts[index % len(texts)]
            next_text += 1
            started = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    body = await response.read()
                    if response.status != 200:
                        errors.append(f"HTTP {response.status}: {body[:200]!r}")
                        continue
                    if not json.loads(body) and not args.allow_silence:
                        errors.append(f"no reply to {text!r}")
                        continue
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                errors.append(f"{type(error).__name__}: {error}")
                continue
            timings.append((position, (time.perf_counter() - started) * 1000))


async def run(args: argparse.Namespace) -> dict[str, object]:
    texts = json.loads(Path(args.texts).read_text(encoding="utf-8"))
    timings: list[tuple[int, float]] = []
    errors: list[str] = []
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    if args.spread_addresses:
        # Each user from its own loopback address (127.0.0.2, .3, ...), as real clients
        # come from their own: a proxy that routes by address sees many clients.
        sessions = [aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(
            limit=1, local_addr=(f"127.0.0.{2 + user}", 0))) for user in range(args.users)]
    else:
        # One connection per user, as a browser or app client would hold.
        shared = aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=args.users))
        sessions = [shared] * args.users
    try:
        started = time.perf_counter()
        await asyncio.gather(*(
            _user(sessions[user], args.url, texts, user * 7919, args, timings, errors) for user in range(args.users)
        ))
        wall = time.perf_counter() - started
    finally:
        for session in set(sessions):
            await session.close()
    return {"users": args.users, "wall_seconds": wall, "timings": timings, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the REST channel's webhook URL")
    parser.add_argument("texts", help="a JSON file holding a list of messages")
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--conversations", type=int, default=1, help="conversations per user")
    parser.add_argument("--messages", type=int, default=10, help="messages per conversation")
    parser.add_argument("--spread-addresses", action="store_true",
                        help="each user connects from its own loopback address (at most 250 users)")
    parser.add_argument("--allow-silence", action="store_true", help="an empty reply is an answer")
    parser.add_argument("--repeat-every", type=int, default=0,
                        help="a conversation's texts come round again after this many messages (0: never), so "
                             "that the same questions are timed early and late in a long conversation")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a request counts as failed")
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
