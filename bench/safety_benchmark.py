"""Measures issue #11's targets against the running assistant, as deployed (its Rasa server
processes, its default limits), and prints them.

    .venv/bin/python bench/safety_benchmark.py [--flood-seconds 14]

1. Oversize bodies (100 kB, 5 MB): milliseconds from sending the headers and a first part
   of the body to receiving the 413 (target < 20 ms).
2. Brute force: wrong holder names for one certificate number, each from a new
   conversation and a new address, then the right name from yet another: certificates
   revealed (target 0).
3. Flood: one client (127.0.0.2) runs 32 conversations, each sending as soon as it is
   answered, while another (127.0.0.3) asks a question every half second: the other
   client's p50/p95 and errors (target p95 <= 1 s, no errors), and the flooder's answers
   and refusals. Measured again with the limits out of reach, for comparison.

Client addresses are 127.0.0.x: all of 127.0.0.0/8 is this machine. Results are printed and
written to results/safety_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bot.certificates.demo import demo_records  # noqa: E402
from bot.certificates.store import open_database, upsert_certificates  # noqa: E402
from bot.processes.stack import StackConfig, free_port, running_stack  # noqa: E402
from bot.settings import PROJECT_ROOT, load_settings  # noqa: E402
from tests.servers import (  # noqa: E402
    UNLIMITED_CLIENTS,  # noqa: E402
    oversize_post,
    session_from,
)

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"
RESULTS = PROJECT_ROOT / "results"
TARGET_OVERSIZE_MS = 20
TARGET_OTHER_P95_S = 1.0
OVERSIZE_SAMPLES = 20
GUESSES = ("Wang Wei", "Li Na", "Zhang Min", "Liu Yang", "Chen Jing", "Yang Fang", "Zhao Lei", "Huang Min")


def say(config: StackConfig, client: Any, sender: str, text: str) -> tuple[int, str]:
    reply = client.post(config.rest_url, json={"sender": sender, "message": text}, timeout=60)
    body = reply.json()
    return reply.status_code, "\n".join(m.get("text", "") for m in body) if isinstance(body, list) else ""


def warm_up(config: StackConfig) -> None:
    """Waits until every Rasa server process answers at once: the stack is up when one of
    them answers, and a process still loading its model holds the connections it accepts."""
    fast = 0
    while fast < 20:
        started = time.perf_counter()
        requests.get(f"http://{config.host}:{config.rasa_port}/webhooks/health/", timeout=120)
        fast = fast + 1 if time.perf_counter() - started < 0.05 else 0


def oversize(config: StackConfig) -> dict[str, dict[str, float]]:
    results = {}
    for size in (100_000, 5_000_000):
        times = []
        for _ in range(OVERSIZE_SAMPLES):
            started = time.perf_counter()
            answer = oversize_post(config, size)
            times.append((time.perf_counter() - started) * 1000)
            if not answer.startswith(b"HTTP/1.1 413 "):
                raise RuntimeError(f"a {size}-byte body got {answer[:40]!r}, not 413")
        results[f"{size // 1000} kB"] = {"p50_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}
    return results


def brute_force(config: StackConfig) -> dict[str, int]:
    def lookup(name: str, address: str) -> str:
        client, sender = session_from(address), f"guess-{uuid.uuid4().hex}"
        say(config, client, sender, "check a certificate")
        say(config, client, sender, "DEMO-VALID-0001")
        return say(config, client, sender, name)[1]

    replies = [lookup(name, f"127.0.1.{index}") for index, name in enumerate(GUESSES, start=1)]
    replies.append(lookup("Wang Xiaoming", "127.0.1.200"))  # the holder's real name
    return {"attempts": len(replies), "revealed": sum("Holder:" in reply for reply in replies)}


def flood(config: StackConfig, seconds: float) -> dict[str, Any]:
    statuses: list[int] = []
    stop = threading.Event()

    def flooder() -> None:
        client, sender = session_from("127.0.0.2"), f"flood-{uuid.uuid4().hex}"
        while not stop.is_set():
            try:
                statuses.append(say(config, client, sender, "what is a qualification certificate?")[0])
            except Exception:  # noqa: BLE001 - counted as an error of the flood
                statuses.append(0)

    threads = [threading.Thread(target=flooder) for _ in range(32)]
    for thread in threads:
        thread.start()
    other, sender, latencies, errors = session_from("127.0.0.3"), f"other-{uuid.uuid4().hex}", [], 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            started = time.monotonic()
            status, text = say(config, other, sender, "do tour guides need a certificate?")
            latencies.append(time.monotonic() - started)
            errors += status != 200 or not text
            time.sleep(max(0.0, 0.5 - latencies[-1]))
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
    counts = Counter(statuses)
    return {"other_requests": len(latencies), "other_errors": errors,
            "other_p50_s": round(statistics.median(latencies), 3),
            "other_p95_s": round(statistics.quantiles(latencies, n=20)[-1], 3),
            "flooder_answered": counts[200], "flooder_refused_429": counts[429],
            "flooder_other": sum(count for status, count in counts.items() if status not in (200, 429))}


def started(env: dict[str, str], folder: Path) -> tuple[StackConfig, Any]:
    settings = load_settings({**os.environ, **env})
    config = StackConfig(settings.with_server(rasa_port=free_port(), action_port=free_port()), MODEL)
    log = (folder / f"servers-{config.rasa_port}.log").open("wb")
    return config, running_stack(config, log)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flood-seconds", type=float, default=14.0,
                        help="how long the flood lasts (the other client stays within its 30 messages a minute)")
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run `make train` first")
    RESULTS.mkdir(exist_ok=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        database = folder / "certificates.db"
        upsert_certificates(open_database(database), demo_records(10, seed=1, today=date.today()))
        stores = {"BOT_DATABASE": str(database), "BOT_LOCK_DB": str(folder / "locks.db")}
        for limits in ("deployed defaults", "out of reach"):
            env = {**stores, "BOT_TRACKER_DB_URL": f"sqlite:///{folder / limits.replace(' ', '-')}.db",
                   "BOT_LIMITS_URL": f"sqlite:///{folder / limits.replace(' ', '-')}-limits.db",
                   **({name: "" for name in UNLIMITED_CLIENTS} if limits == "deployed defaults" else UNLIMITED_CLIENTS)}
            config, stack = started(env, folder)
            with stack:
                warm_up(config)
                workers = config.settings.server.workers
                print(f"servers up ({workers} Rasa server process(es)), limits: {limits}", flush=True)
                if limits == "deployed defaults":
                    results["oversize"] = oversize(config)
                    results["brute_force"] = brute_force(config)
                results[f"flood, limits {limits}"] = flood(config, args.flood_seconds)
    (RESULTS / "safety_benchmark.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_report(results)


def print_report(results: dict[str, Any]) -> None:
    for size, figures in results["oversize"].items():
        print(f"oversize body of {size}: 413 after {figures['p50_ms']} ms (p50), {figures['max_ms']} ms (max) "
              f"(target < {TARGET_OVERSIZE_MS} ms: {verdict(figures['max_ms'] < TARGET_OVERSIZE_MS)})")
    brute = results["brute_force"]
    print(f"brute force: {brute['revealed']} certificate(s) revealed in {brute['attempts']} lookups of one number "
          f"from new conversations and addresses (target 0: {verdict(brute['revealed'] == 0)})")
    for key in (key for key in results if key.startswith("flood")):
        figures = results[key]
        target = f" (target <= {TARGET_OTHER_P95_S} s, no errors: " + verdict(
            figures["other_p95_s"] <= TARGET_OTHER_P95_S and not figures["other_errors"]) + ")" \
            if "deployed" in key else ""
        print(f"{key}: the other client's p50 {figures['other_p50_s']} s, p95 {figures['other_p95_s']} s, "
              f"{figures['other_errors']} error(s) in {figures['other_requests']}{target}; the flooder got "
              f"{figures['flooder_answered']} answers and {figures['flooder_refused_429']} refusals (429)")


if __name__ == "__main__":
    main()
