"""The assistant under load, beside a stock `rasa init` bot, in one run (issue #10).

    .venv/bin/python bench/load_benchmark.py [--rounds 2]

1. The stock bot: `rasa init --no-prompt` into build/stock-bot with this venv, trained once
   and reused while its model exists.
2. Both servers run side by side (ours with its action server, as `make run` starts it).
   bench/load_generator.py, in its own process, drives each over REST in turn: 1, 8 and 32
   concurrent users, each holding conversations of 10 messages; --rounds rounds, the order
   of the two bots alternating from round to round. Ours gets a mix of the held-out
   questions in both languages, the stock bot the examples of its own training data.
3. Latency against conversation length: one user, conversations of 150 messages; the mean
   of messages 6-15 ("message 10") against messages 141-150 ("message 150"), which repeat
   them, so that the same questions are timed early and late.
4. Resident memory of each Rasa server after the load (every worker process counted).

Prints the figures against issue #10's targets, writes results/load_benchmark.json and
draws latency against concurrent users to results/load_latency.png.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import IO

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchmark import percentile  # noqa: E402
from bot.processes.stack import (  # noqa: E402
    RASA,
    StackConfig,
    action_server,
    free_port,
    rasa_server,
    server_process,
)
from bot.settings import PROJECT_ROOT, load_settings  # noqa: E402
from tests.evaluation import HELDOUT_SETS, load_examples  # noqa: E402
from tests.servers import stores_in  # noqa: E402

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"
STOCK_BOT = PROJECT_ROOT / "build" / "stock-bot"
RESULTS = PROJECT_ROOT / "results"
GENERATOR = Path(__file__).with_name("load_generator.py")
USER_LEVELS = (1, 8, 32)
MESSAGES_PER_CONVERSATION = 10
# Conversations per user at each level: about 80, 240 and 320 messages a run.
CONVERSATIONS = {1: 8, 8: 3, 32: 1}
STOCK_ENVIRONMENT = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
LONG_CONVERSATION = 150
LONG_CONVERSATIONS = 2
EARLY, LATE = range(6, 16), range(141, 151)
WARM_UP_MESSAGES = 20

# Issue #10's targets.
TARGET_THROUGHPUT_RATIO = 2.0
TARGET_P50_ONE_USER_MS = 40
TARGET_P95_MS = {8: 300, 32: 1000}
TARGET_LENGTH_RATIO = 1.2


def start_assistant(stack: ExitStack, folder: Path, log: IO[bytes], **environment: str) -> tuple[
        StackConfig, subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """Starts the assistant as `make run` does, with the configured number of Rasa server
    processes (BOT_SERVER_WORKERS) and `environment`'s settings too, until `stack` closes;
    returns its config, action server and Rasa server. Its conversations and counters go into
    `folder`, not the project's var/; its users are one client that is no person, so the
    limits per client stay out of reach."""
    settings = load_settings({**os.environ, **stores_in(folder), **environment})
    config = StackConfig(settings.with_server(rasa_port=free_port(), action_port=free_port()), MODEL)
    actions = stack.enter_context(action_server(config, log))
    rasa = stack.enter_context(rasa_server(config, log))
    return config, actions, rasa


def stock_bot_model() -> Path:
    """The stock bot's model, made by `rasa init` the first time."""
    models = sorted((STOCK_BOT / "models").glob("*.tar.gz")) if STOCK_BOT.exists() else []
    if models:
        return models[-1]
    print("training the stock `rasa init` bot into build/stock-bot (once) ...", flush=True)
    STOCK_BOT.mkdir(parents=True, exist_ok=True)  # rasa init wants the folder to exist
    with (STOCK_BOT.parent / "stock-bot-training.log").open("wb") as log:
        subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(STOCK_BOT)], cwd=STOCK_BOT.parent,
                       env=STOCK_ENVIRONMENT, check=True, stdout=log, stderr=log)
    # `rasa init --no-prompt` trains the bot too.
    return sorted((STOCK_BOT / "models").glob("*.tar.gz"))[-1]


def stock_bot_server(model: Path, port: int, log: IO[bytes]) -> AbstractContextManager[subprocess.Popen[bytes]]:
    command = [RASA, "run", "--model", str(model), "--interface", "127.0.0.1", "--port", str(port),
               "--credentials", "credentials.yml"]
    return server_process(command, f"http://127.0.0.1:{port}/webhooks/rest/", "stock bot", STOCK_ENVIRONMENT, log,
                          timeout=240, cwd=STOCK_BOT)


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for text in child.read_text().split():
            found += _descendants(int(text))
    return found


def resident_memory_mb(pid: int) -> dict[str, float]:
    """Resident memory of a server and of each process it started (Sanic workers)."""
    sizes = []
    for each in _descendants(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return {"largest_process_mb": round(max(sizes), 1), "all_processes_mb": round(sum(sizes), 1),
            "processes": len(sizes)}


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time (user and system) of a server and of each process it started."""
    ticks = os.sysconf("SC_CLK_TCK")
    times = {}
    for each in _descendants(pid):
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        times[each] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return times


def drive(bot: str, url: str, texts_file: Path, users: int, conversations: int, messages: int,
          repeat_every: int = 0) -> dict[str, object]:
    """One run of the load generator, in its own process. The stock bot may answer a
    message with silence (its stories decide); the assistant must always answer."""
    output = subprocess.run(
        [sys.executable, str(GENERATOR), url, str(texts_file), "--users", str(users),
         "--conversations", str(conversations), "--messages", str(messages), "--repeat-every", str(repeat_every),
         *(["--allow-silence"] if bot == "stock" else [])],
        check=True, capture_output=True, text=True,
    ).stdout
    run: dict[str, object] = json.loads(output)
    if run["errors"]:
        raise RuntimeError(f"{len(run['errors'])} failed requests against {url}, e.g. {run['errors'][0]}")  # type: ignore[arg-type,index]
    return run


def summarise(runs: list[dict[str, object]]) -> dict[str, float]:
    latencies = [ms for run in runs for _, ms in run["timings"]]  # type: ignore[attr-defined]
    seconds = sum(float(run["wall_seconds"]) for run in runs)  # type: ignore[arg-type]
    return {"messages": len(latencies), "messages_per_second": round(len(latencies) / seconds, 2),
            "p50_ms": round(percentile(latencies, 0.50), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1)}


def length_effect(runs: list[dict[str, object]]) -> dict[str, float]:
    timings = [timing for run in runs for timing in run["timings"]]  # type: ignore[attr-defined]
    early = statistics.mean(ms for position, ms in timings if position in EARLY)
    late = statistics.mean(ms for position, ms in timings if position in LATE)
    return {"message_10_mean_ms": round(early, 1), "message_150_mean_ms": round(late, 1),
            "ratio": round(late / early, 2)}


def our_texts() -> list[str]:
    """The held-out questions of both languages, shuffled together (fixed seed)."""
    texts = [example.text for path in HELDOUT_SETS.values() for example in load_examples(path)]
    random.Random(10).shuffle(texts)
    return texts


def stock_texts() -> list[str]:
    data = yaml.safe_load((STOCK_BOT / "data" / "nlu.yml").read_text(encoding="utf-8"))
    lines = [line for item in data["nlu"] for line in item["examples"].splitlines()]
    texts = [line[2:].strip() for line in lines if line.startswith("- ")]
    random.Random(10).shuffle(texts)
    return texts


def plot(results: dict[str, dict[str, dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for bot, colour in (("assistant", "tab:blue"), ("stock", "tab:red")):
        for figure_name, style in (("p50_ms", "-o"), ("p95_ms", "--s")):
            values = [results[bot][str(users)][figure_name] for users in USER_LEVELS]
            axes.plot(USER_LEVELS, values, style, color=colour, label=f"{bot} {figure_name[:3]}")
    axes.set_xscale("log", base=2)
    axes.set_xticks(USER_LEVELS, [str(users) for users in USER_LEVELS])
    axes.set_xlabel("concurrent users (closed loop, REST, 10 messages a conversation)")
    axes.set_ylabel("latency (ms)")
    axes.set_yscale("log")
    axes.set_title("The assistant and a stock `rasa init` bot under load")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="rounds at each load, bots alternating")
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run `make train` first")
    stock_model = stock_bot_model()
    RESULTS.mkdir(exist_ok=True)
    stock_port = free_port()
    stock_url = f"http://127.0.0.1:{stock_port}/webhooks/rest/webhook"

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        texts = {"assistant": folder / "assistant.json", "stock": folder / "stock.json"}
        texts["assistant"].write_text(json.dumps(our_texts(), ensure_ascii=False), encoding="utf-8")
        texts["stock"].write_text(json.dumps(stock_texts()), encoding="utf-8")
        log = stack.enter_context((RESULTS / "load-benchmark-servers.log").open("wb"))
        config, _, ours = start_assistant(stack, folder, log)
        stock = stack.enter_context(stock_bot_server(stock_model, stock_port, log))
        urls = {"assistant": config.rest_url, "stock": stock_url}
        servers = {"assistant": ours, "stock": stock}
        print(f"servers up (the assistant's Rasa server: {config.settings.server.workers} process(es))", flush=True)
        for bot in urls:
            drive(bot, urls[bot], texts[bot], 1, 2, WARM_UP_MESSAGES // 2)

        cpu_before = cpu_seconds(ours.pid)
        runs: dict[str, dict[int, list[dict[str, object]]]] = {bot: {u: [] for u in USER_LEVELS} for bot in urls}
        for round_number in range(args.rounds):
            order = ["stock", "assistant"] if round_number % 2 == 0 else ["assistant", "stock"]
            for users in USER_LEVELS:
                for bot in order:
                    runs[bot][users].append(drive(bot, urls[bot], texts[bot], users, CONVERSATIONS[users],
                                                  MESSAGES_PER_CONVERSATION))
            print(f"round {round_number + 1} of {args.rounds} done", flush=True)
        cpu_after = cpu_seconds(ours.pid)
        # Messages 141-150 repeat messages 6-15: the same questions, early and late.
        long_runs = {bot: [drive(bot, urls[bot], texts[bot], 1, 1, LONG_CONVERSATION, LATE.start - EARLY.start)
                           for _ in range(LONG_CONVERSATIONS)] for bot in urls}
        memory = {bot: resident_memory_mb(servers[bot].pid) for bot in urls}

    results: dict[str, dict[str, dict[str, float]]] = {
        bot: {str(users): summarise(runs[bot][users]) for users in USER_LEVELS} for bot in urls
    }
    results["assistant"]["8"]["throughput_ratio_to_stock"] = round(
        results["assistant"]["8"]["messages_per_second"] / results["stock"]["8"]["messages_per_second"], 2)
    # How the load was shared by the assistant's Rasa server processes (the idle main one left out).
    results["assistant"]["cpu_seconds_per_process"] = {
        str(pid): round(cpu_after[pid] - cpu_before.get(pid, 0.0), 1) for pid in cpu_after
        if cpu_after[pid] - cpu_before.get(pid, 0.0) >= 0.1}
    for bot in urls:
        results[bot]["conversation_length"] = length_effect(long_runs[bot])
        results[bot]["memory"] = memory[bot]
    print_report(results)
    plot(results, RESULTS / "load_latency.png")
    out = RESULTS / "load_benchmark.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out} and {RESULTS / 'load_latency.png'}")


def print_report(results: dict[str, dict[str, dict[str, float]]]) -> None:
    ours, stock = results["assistant"], results["stock"]
    print(f"{'':24}{'assistant':>34}{'stock rasa init':>34}")
    for users in USER_LEVELS:
        row = [f"{users:>2} user(s)".ljust(24)]
        for figures in (ours[str(users)], stock[str(users)]):
            row.append(f"{figures['messages_per_second']:6.1f} msg/s  p50 {figures['p50_ms']:6.0f}  "
                       f"p95 {figures['p95_ms']:6.0f}  p99 {figures['p99_ms']:6.0f}".rjust(34))
        print("".join(row))
    ratio = ours["8"]["throughput_ratio_to_stock"]
    print(f"throughput at 8 users: {ratio:.2f}x the stock bot's (target >= {TARGET_THROUGHPUT_RATIO}: "
          f"{verdict(ratio >= TARGET_THROUGHPUT_RATIO)})")
    p50 = ours["1"]["p50_ms"]
    print(f"p50, one user: {p50:.0f} ms (target <= {TARGET_P50_ONE_USER_MS}: {verdict(p50 <= TARGET_P50_ONE_USER_MS)})")
    for users, target in TARGET_P95_MS.items():
        p95 = ours[str(users)]["p95_ms"]
        print(f"p95, {users} users: {p95:.0f} ms (target <= {target}: {verdict(p95 <= target)})")
    for bot in ("assistant", "stock"):
        length = results[bot]["conversation_length"]
        print(f"{bot}: message 10 {length['message_10_mean_ms']:.0f} ms, message 150 "
              f"{length['message_150_mean_ms']:.0f} ms: {length['ratio']:.2f}x"
              + (f" (target <= {TARGET_LENGTH_RATIO}: {verdict(length['ratio'] <= TARGET_LENGTH_RATIO)})"
                 if bot == "assistant" else ""))
    shares = ", ".join(f"{seconds:.1f} s" for seconds in ours["cpu_seconds_per_process"].values())
    print(f"CPU time of the assistant's Rasa server processes over the measured rounds: {shares}")
    ours_memory, stock_memory = ours["memory"], stock["memory"]
    print(f"resident memory of the Rasa server: assistant {ours_memory['largest_process_mb']:.0f} MB a process "
          f"({ours_memory['processes']:.0f} process(es), {ours_memory['all_processes_mb']:.0f} MB in all), stock "
          f"{stock_memory['largest_process_mb']:.0f} MB (target: no more than the stock bot's: "
          f"{verdict(ours_memory['largest_process_mb'] <= stock_memory['largest_process_mb'])})", flush=True)


if __name__ == "__main__":
    main()
