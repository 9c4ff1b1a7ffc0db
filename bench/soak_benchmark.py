"""Runs the assistant, as deployed, under steady load for a long time and reports its error
rate and memory drift (issue #11's soak; `make soak`, not part of `make test`).

    .venv/bin/python bench/soak_benchmark.py [--minutes 30] [--users 8]

The load generator (bench/load_generator.py, its own process) runs round after round: each
of --users users holds 2 conversations of 10 messages over REST, sending as soon as it is
answered. The Rasa server processes' resident memory is read after every round. Memory drift
is the last reading against the first one after a warm-up round. The limits per client are
out of reach: the generator is one client that is no person.

Results are printed and written to results/soak_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_benchmark import GENERATOR, our_texts, resident_memory_mb, start_assistant  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"
RESULTS = PROJECT_ROOT / "results"
TARGET_ERROR_RATE = 0.001
TARGET_DRIFT = 0.05


def one_round(url: str, texts: Path, users: int) -> dict[str, object]:
    output = subprocess.run([sys.executable, str(GENERATOR), url, str(texts), "--users", str(users),
                             "--conversations", "2", "--messages", "10"],
                            check=True, capture_output=True, text=True).stdout
    run: dict[str, object] = json.loads(output)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--users", type=int, default=8)
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run `make train` first")
    RESULTS.mkdir(exist_ok=True)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        texts = folder / "texts.json"
        texts.write_text(json.dumps(our_texts(), ensure_ascii=False), encoding="utf-8")
        log = stack.enter_context((RESULTS / "soak-benchmark-servers.log").open("wb"))
        config, _, server = start_assistant(stack, folder, log)
        one_round(config.rest_url, texts, args.users)  # warm-up: caches, pools, lazy imports
        first = resident_memory_mb(server.pid)
        messages = errors = rounds = 0
        examples: list[str] = []
        deadline = time.monotonic() + args.minutes * 60
        while time.monotonic() < deadline:
            run = one_round(config.rest_url, texts, args.users)
            failed: list[str] = run["errors"]  # type: ignore[assignment]
            messages += len(run["timings"]) + len(failed)  # type: ignore[arg-type]
            errors += len(failed)
            examples += failed[: 3 - len(examples)]
            rounds += 1
        last = resident_memory_mb(server.pid)
    drift = last["all_processes_mb"] / first["all_processes_mb"] - 1
    results = {"minutes": args.minutes, "users": args.users, "rounds": rounds, "messages": messages,
               "errors": errors, "error_rate": errors / max(messages, 1), "error_examples": examples,
               "memory_first_mb": first, "memory_last_mb": last, "memory_drift": round(drift, 4)}
    (RESULTS / "soak_benchmark.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    verdict = {True: "met", False: "NOT met"}
    print(f"soak: {args.minutes:g} minutes at {args.users} users, {messages} messages in {rounds} rounds; "
          f"errors {errors} ({results['error_rate']:.4%}; target < {TARGET_ERROR_RATE:.1%}: "
          f"{verdict[results['error_rate'] < TARGET_ERROR_RATE]})")
    print(f"memory of the Rasa server processes: {first['all_processes_mb']} MB after the warm-up, "
          f"{last['all_processes_mb']} MB at the end: drift {drift:+.1%} (target < {TARGET_DRIFT:.0%}: "
          f"{verdict[abs(drift) < TARGET_DRIFT]})")
    if examples:
        print("error examples:", *examples, sep="\n  ")


if __name__ == "__main__":
    main()
