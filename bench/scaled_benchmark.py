"""Measures the scaled-out assistant and prints the figures quoted in docs/benchmarks.md.

1. Throughput of 1, 2 and 3 replicas behind nginx, on this machine's PostgreSQL and Redis:
   bench/load_generator.py in its own process, 16 users, each a new conversation of 10
   held-out questions in both languages, over REST through nginx. Each user comes from its
   own loopback address, as real clients do, so nginx spreads them over the replicas.
   What limits it: the share of both cores that the replicas, the action server, nginx,
   PostgreSQL, Redis and the load generator used meanwhile.
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
import resource
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

from bench.load_benchmark import GENERATOR, cpu_seconds, our_texts, resident_memory_mb, summarise  # noqa: E402
from bot.processes.scaled import ScaledStack  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from tests.ordering import ordering_texts, send_rapidly, stored_events  # noqa: E402
from tests.servers import SCALED_REDIS_URL, started_scaled  # noqa: E402

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"
USERS = 16


def drive(url: str, texts_file: Path, users: int, conversations: int) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, str(GENERATOR), url, str(texts_file), "--users", str(users), "--conversations",
         str(conversations), "--messages", "10", "--spread-addresses"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(output)  # type: ignore[no-any-return]


# Who uses the 2 cores, by what each process's command line says.
ROLES = (("replicas", "bot.server"), ("action server", "rasa run actions"), ("nginx", "nginx"),
         ("PostgreSQL", "postgres"), ("Redis", "redis-server"))


def cpu_by_role() -> dict[str, float]:
    """CPU seconds (user and system) used so far by the running processes of each role."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys([role for role, _ in ROLES], 0.0)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it has just exited
        role = next((role for role, marker in ROLES if marker in command), None)
        if role is not None:
            used[role] += (int(fields[11]) + int(fields[12])) / ticks
    return used


def throughput(stack: ScaledStack, replicas: int, texts_file: Path) -> dict[str, object]:
    drive(stack.config.rest_url, texts_file, USERS, 1)  # warm-up
    before, generators_before, started = cpu_by_role(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    replicas_before = {port: sum(cpu_seconds(process.pid).values()) for port, process in stack.replicas.items()}
    runs = [drive(stack.config.rest_url, texts_file, USERS, 2) for _ in range(2)]
    after, generators_after = cpu_by_role(), resource.getrusage(resource.RUSAGE_CHILDREN)
    replicas_after = {port: sum(cpu_seconds(process.pid).values()) for port, process in stack.replicas.items()}
    wall = time.monotonic() - started
    available = wall * (os.cpu_count() or 1)
    # A replica answers on one event loop: near 100 % of one core, it is saturated.
    per_replica = {port: round(100 * (replicas_after[port] - replicas_before[port]) / wall, 1)
                   for port in replicas_after}
    used = {role: after[role] - before.get(role, 0.0) for role in after}
    # The load generator runs in a child process of this one, which has ended by now.
    used["load generator"] = (generators_after.ru_utime + generators_after.ru_stime
                              - generators_before.ru_utime - generators_before.ru_stime)
    cpu_share = {role: round(100 * seconds / available, 1) for role, seconds in used.items()}
    errors = sum(len(run["errors"]) for run in runs)  # type: ignore[arg-type]
    memory = {port: resident_memory_mb(process.pid)["all_processes_mb"] for port, process in stack.replicas.items()}
    return {"replicas": replicas, **summarise(runs), "errors": errors, "replica_memory_mb": memory,
            "cpu_percent_of_all_cores": cpu_share, "cpu_percent_of_one_core_per_replica": per_replica}


def ordering(stack: ScaledStack, rounds: int) -> dict[str, object]:
    red = redis.Redis.from_url(SCALED_REDIS_URL)
    urls = [f"http://{stack.config.host}:{port}/webhooks/rest/webhook" for port in stack.config.replica_ports[:2]]
    texts = ordering_texts()
    failed: list[str] = []

    def one_round(_: int) -> None:
        sender = f"order-{uuid.uuid4().hex}"
        result = send_rapidly(urls, sender, texts, red)
        problems = result.problems(stored_events(stack.config.settings.tracker_db_url, sender))
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
    roles = [role for role, _ in ROLES] + ["load generator"]
    print("\n| replicas | messages/s | p50 ms | p95 ms | errors | CPU, % of both cores: " + ", ".join(roles)
          + " | CPU of each replica, % of one core |\n| --- | --- | --- | --- | --- | --- | --- |")
    for row in results["throughput"]:  # type: ignore[attr-defined]
        shares = " / ".join(str(row["cpu_percent_of_all_cores"][role]) for role in roles)
        each = " / ".join(str(value) for value in row["cpu_percent_of_one_core_per_replica"].values())
        print(f"| {row['replicas']} | {row['messages_per_second']} | {row['p50_ms']} | {row['p95_ms']} | "
              f"{row['errors']} | {shares} | {each} |")
    ordering_result, failover_result = results["ordering"], results["failover"]
    print(f"ordering: {ordering_result['rounds_with_problems']} of {ordering_result['rounds']} rounds "  # type: ignore[index]
          f"lost, duplicated or reordered a message (target 0)")
    print(f"failover: {failover_result['failed_requests']} failed requests of {failover_result['messages']} "  # type: ignore[index]
          f"with a replica killed mid-run (target 0)")


if __name__ == "__main__":
    main()
