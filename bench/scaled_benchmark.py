"""Measures the scaled-out assistant (issue #12) and prints the README's figures.

1. Throughput of 1, 2 and 3 replicas behind nginx, on this machine's PostgreSQL and Redis:
   bench/load_generator.py in its own process, 16 users, each a new conversation of 10
   held-out questions in both languages, over REST through nginx. Each user comes from its
   own loopback address, as real clients do, so nginx spreads them over the replicas.
2. Ordering: --rounds conversations of 10 rapid messages, alternately straight to two
   replicas (tests/ordering.py), 4 conversations at a time: lost, duplicated or reordered
   messages are counted.
3. Failover: a replica is killed in the middle of a load run; failed requests are counted.

The certificate store on PostgreSQL (import rate, lookups at 1,000,000) is measured by
`bench/lookup_benchmark.py --backend postgresql`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402

from bench.load_benchmark import GENERATOR, our_texts, resident_memory_mb, summarise  # noqa: E402
from bot.scaled import ScaledStack  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from tests.ordering import send_rapidly, stored_events  # noqa: E402
from tests.servers import SCALED_REDIS_URL, started_scaled  # noqa: E402

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"
USERS = 16


def drive(url: str, texts_file: Path, users: int, conversations: int) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, str(GENERATOR), url, str(texts_file), "--users", str(users), "--conversations",
         str(conversations), "--messages", "10", "--spread-addresses"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(output)  # type: ignore[no-any-return]


def throughput(stack: ScaledStack, replicas: int, texts_file: Path) -> dict[str, object]:
    drive(stack.config.rest_url, texts_file, USERS, 1)  # warm-up
    runs = [drive(stack.config.rest_url, texts_file, USERS, 2) for _ in range(2)]
    errors = sum(len(run["errors"]) for run in runs)  # type: ignore[arg-type]
    memory = {port: resident_memory_mb(process.pid)["all_processes_mb"] for port, process in stack.replicas.items()}
    return {"replicas": replicas, **summarise(runs), "errors": errors, "replica_memory_mb": memory}


def ordering(stack: ScaledStack, rounds: int) -> dict[str, object]:
    red = redis.Redis.from_url(SCALED_REDIS_URL)
    urls = [f"http://{stack.config.host}:{port}/webhooks/rest/webhook" for port in stack.config.replica_ports[:2]]
    texts = [f"how do I renew an expired certificate? ({index})" for index in range(10)]
    failed: list[str] = []

    def one_round(_: int) -> None:
        sender = f"order-{uuid.uuid4().hex}"
        result = send_rapidly(urls, sender, texts, red)
        problems = result.problems(stored_events(os.environ["BOT_TRACKER_DB_URL"], sender))
        if problems:
            failed.append(f"{sender}: {problems[0]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one_round, range(rounds)))
    return {"rounds": rounds, "messages": rounds * len(texts), "rounds_with_problems": len(failed),
            "seconds": round(time.perf_counter() - started, 1), "examples": failed[:5]}


def failover(stack: ScaledStack, texts_file: Path) -> dict[str, object]:
    victim = stack.config.replica_ports[0]

    def kill_soon() -> None:
        time.sleep(3)
        os.killpg(stack.replicas[victim].pid, signal.SIGKILL)

    threading.Thread(target=kill_soon, daemon=True).start()
    run = drive(stack.config.rest_url, texts_file, USERS, 2)
    return {"killed_replica": victim, "messages": len(run["timings"]),  # type: ignore[arg-type]
            "failed_requests": len(run["errors"]), "examples": run["errors"][:3]}  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1000, help="ordering rounds of 10 messages")
    args = parser.parse_args()
    results: dict[str, object] = {"throughput": []}
    with tempfile.TemporaryDirectory() as folder:
        texts_file = Path(folder) / "texts.json"
        texts_file.write_text(json.dumps(our_texts(), ensure_ascii=False), encoding="utf-8")
        for replicas in (1, 2, 3):
            stack_folder = Path(folder) / f"replicas-{replicas}"
            stack_folder.mkdir()
            with started_scaled(MODEL, stack_folder, replicas=replicas) as stack:
                figures = throughput(stack, replicas, texts_file)
                print(json.dumps(figures), flush=True)
                results["throughput"].append(figures)  # type: ignore[attr-defined]
                if replicas == 3:
                    results["ordering"] = ordering(stack, args.rounds)
                    print(json.dumps(results["ordering"]), flush=True)
                    results["failover"] = failover(stack, texts_file)
                    print(json.dumps(results["failover"]), flush=True)
    print_report(results)
    out = PROJECT_ROOT / "results" / "scaled_benchmark.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}")


def print_report(results: dict[str, object]) -> None:
    print("\n| replicas | messages/s | p50 ms | p95 ms | errors |\n| --- | --- | --- | --- | --- |")
    for row in results["throughput"]:  # type: ignore[attr-defined]
        print(f"| {row['replicas']} | {row['messages_per_second']} | {row['p50_ms']} | {row['p95_ms']} | "
              f"{row['errors']} |")
    ordering_result, failover_result = results["ordering"], results["failover"]
    print(f"ordering: {ordering_result['rounds_with_problems']} of {ordering_result['rounds']} rounds "  # type: ignore[index]
          f"lost, duplicated or reordered a message (target 0)")
    print(f"failover: {failover_result['failed_requests']} failed requests of {failover_result['messages']} "  # type: ignore[index]
          f"with a replica killed mid-run (target 0)")


if __name__ == "__main__":
    main()
