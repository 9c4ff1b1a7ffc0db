"""Measures the switch to a newly trained model while the assistant serves (issue #27): how
long until every Rasa server process answers with it, what the users meanwhile see (errors,
latency), and the memory it takes.

    .venv/bin/python bench/model_switch_benchmark.py [--users 4]

The assistant runs as deployed (BOT_SERVER_WORKERS processes) on a copy of the model. The
load generator (bench/load_generator.py) first measures latency without a switch; then, with
the same load running, a new model file is renamed into place as a training does, and the
benchmark waits until every process has logged the switch. The servers' resident memory is
read every half second; then it switches --switches - 1 more times (5 in all by default),
reading the memory after each, to see whether it keeps growing. Targets: no failed or empty
answer, every process switched within 60 s, and memory after every switch within 10% of the
peak while the first one loaded (one old and one new model): it does not grow with each training.

Results are printed and written to results/model_switch.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_benchmark import GENERATOR, our_texts, resident_memory_mb  # noqa: E402
from bot.processes.stack import StackConfig, action_server, free_port, rasa_server  # noqa: E402
from bot.server.model_reload import SWITCHED  # noqa: E402
from bot.settings import PROJECT_ROOT, load_settings  # noqa: E402
from tests.servers import stores_in  # noqa: E402

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"
RESULTS = PROJECT_ROOT / "results"
TARGET_SWITCH_SECONDS = 60.0
TARGET_GROWTH = 0.10  # memory after any switch against the peak while the first loaded


def load(url: str, texts: Path, users: int, messages: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(GENERATOR), url, str(texts), "--users", str(users),
                             "--conversations", "1", "--messages", str(messages)], stdout=subprocess.PIPE, text=True)


def summary(output: str) -> dict[str, object]:
    run = json.loads(output)
    latencies = sorted(latency for _, latency in run["timings"])
    return {"messages": len(latencies), "errors": len(run["errors"]),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1), "max_ms": round(latencies[-1], 1)}


def switch(model: Path, log_path: Path, workers: int, number: int, server: int,
           peak: dict[str, float]) -> tuple[float, dict[str, float]]:
    """Renames a new model file into place as a training does, and waits until all `workers`
    have logged their switch number `number`; the seconds it took and the memory peak."""
    shutil.copy(MODEL, model.with_name("next.tar.gz"))
    renamed = time.monotonic()
    model.with_name("next.tar.gz").replace(model)
    while log_path.read_text(encoding="utf-8", errors="replace").count(SWITCHED) < workers * number:
        if time.monotonic() - renamed > 300:
            sys.exit("the servers did not switch within 300 s")
        reading = resident_memory_mb(server)
        peak = reading if reading["all_processes_mb"] > peak["all_processes_mb"] else peak
        time.sleep(0.5)
    return round(time.monotonic() - renamed, 1), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--switches", type=int, default=5, help="how many new models in a row")
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run `make train` first")
    RESULTS.mkdir(exist_ok=True)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        model = folder / MODEL.name
        shutil.copy(MODEL, model)
        texts = folder / "texts.json"
        texts.write_text(json.dumps(our_texts(), ensure_ascii=False), encoding="utf-8")
        log_path = RESULTS / "model-switch-servers.log"
        log = stack.enter_context(log_path.open("wb"))
        settings = load_settings({**os.environ, **stores_in(folder), "BOT_MODEL_CHECK_SECONDS": "1"})
        config = StackConfig(settings.with_server(rasa_port=free_port(), action_port=free_port()), model)
        stack.enter_context(action_server(config, log))
        server = stack.enter_context(rasa_server(config, log))
        workers = config.settings.server.workers
        load(config.rest_url, texts, args.users, 10).communicate()  # warm-up
        steady = summary(load(config.rest_url, texts, args.users, 60).communicate()[0])
        memory_before = resident_memory_mb(server.pid)

        running = load(config.rest_url, texts, args.users, 120)
        time.sleep(3.0)
        switched_after, peak = switch(model, log_path, workers, 1, server.pid, memory_before)
        during = summary(running.communicate()[0])
        # More trainings, one after another: does memory keep growing?
        memory_after = [resident_memory_mb(server.pid)]
        for number in range(2, args.switches + 1):
            switch(model, log_path, workers, number, server.pid, memory_before)
            memory_after.append(resident_memory_mb(server.pid))

    result = {"benchmark": "model_switch", "date": datetime.now().isoformat(timespec="seconds"),
              "command": "bench/model_switch_benchmark.py", "users": args.users, "server_processes": workers,
              "all_processes_switched_seconds": switched_after, "steady": steady, "during_switch": during,
              "memory_before_mb": memory_before, "memory_peak_during_switch_mb": peak,
              "memory_after_each_switch_mb": [reading["all_processes_mb"] for reading in memory_after],
              "targets": {"errors": 0, "switch_seconds": TARGET_SWITCH_SECONDS, "memory_growth": TARGET_GROWTH},
              "met": during["errors"] == 0 and switched_after <= TARGET_SWITCH_SECONDS
              and max(reading["all_processes_mb"] for reading in memory_after)
              <= (1 + TARGET_GROWTH) * peak["all_processes_mb"]}
    (RESULTS / "model_switch.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
