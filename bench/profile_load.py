"""Where the Rasa server's time goes under load: py-spy on every Rasa server process while
the load generator drives the assistant (issue #10; not part of `make bench`).

    .venv/bin/python bench/profile_load.py [--users 8] [--conversations 12]

Starts the assistant as bench/load_benchmark.py does, warms it up, attaches `py-spy record`
(100 samples a second, without pausing the process) to each Rasa server process, drives
--users users holding --conversations conversations of 10 held-out questions each, and
prints the share of the processes' busy samples spent in each part of a message's work
(a part counts every sample whose stack passes through it, so parts nest), then the
functions that hold the most samples. Writes the report to results/profile_load.txt and
py-spy's raw stacks under build/profile/.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_benchmark import (  # noqa: E402
    MESSAGES_PER_CONVERSATION,
    MODEL,
    RESULTS,
    _descendants,
    drive,
    our_texts,
    start_assistant,
    summarise,
)
from bot.settings import PROJECT_ROOT  # noqa: E402

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
RAW = PROJECT_ROOT / "build" / "profile"
# The parts of a message's work, each found by a frame "function (file)" on the stack.
PARTS = {
    "handling a message (Rasa's processor)": "handle_message (processor.py)",
    "NLU": "_parse_message_with_graph (processor.py)",
    "  intent classifier (logistic regression)": "process (logistic_regression_classifier.py)",
    "  answer selector (logistic regression)": "process (answer_selector.py)",
    "  domain gate": "process (domain_gate.py)",
    "conversation store: retrieve": "retrieve (conversation_store.py)",
    "conversation store: save": "save (conversation_store.py)",
    "rules (RulePolicy)": "predict_action_probabilities (rule_policy.py)",
    "custom action call": "run (action.py)",
    "  checking the action server's response": "validate_action_result (patches.py)",
    "lock store (its database)": "_transaction (sqlite_locks.py)",
}


# A thread pool's worker waiting for work: py-spy, which does not pause the process, counts
# it as busy (four fifths of all samples on 2026-12-07). Its stacks are left out.
IDLE_LEAVES = frozenset({"_worker (thread.py)"})


def frame_name(frame: str) -> str:
    """py-spy's "function (path/file.py:line)" as "function (file.py)"."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})" if where else name


def read_stacks(paths: list[Path]) -> Counter[tuple[str, ...]]:
    """py-spy's raw output: one line per distinct stack, frames joined by ';', then a count."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            stack, _, count = line.rpartition(" ")
            frames = tuple(frame_name(frame) for frame in stack.split(";")) if stack else ()
            if frames and frames[-1] not in IDLE_LEAVES:
                stacks[frames] += int(count)
    return stacks


def report(stacks: Counter[tuple[str, ...]], top: int = 30) -> str:
    total = sum(stacks.values())
    inclusive: Counter[str] = Counter()
    for stack, count in stacks.items():
        for frame in set(stack):
            inclusive[frame] += count
    lines = [f"{total} busy samples of the Rasa server processes", "", "share  part (frame)"]
    lines += [f"{100 * inclusive[frame] / total:5.1f}%  {part} ({frame})" for part, frame in PARTS.items()]
    lines += ["", f"the {top} functions with the most samples (their callees included):"]
    lines += [f"{100 * count / total:5.1f}%  {frame}" for frame, count in inclusive.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=12, help="conversations per user")
    args = parser.parse_args()
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run `make train` first")
    if not Path(PY_SPY).exists():
        sys.exit(f"py-spy is not installed at {PY_SPY}: run `make install`")
    RAW.mkdir(parents=True, exist_ok=True)
    for old in [*RAW.glob("*.txt"), *RAW.glob("*.log")]:
        old.unlink()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        texts = folder / "assistant.json"
        texts.write_text(json.dumps(our_texts(), ensure_ascii=False), encoding="utf-8")
        log = stack.enter_context((RESULTS / "profile-load-servers.log").open("wb"))
        config, _, rasa = start_assistant(stack, folder, log)
        drive("assistant", config.rest_url, texts, args.users, 1, MESSAGES_PER_CONVERSATION)  # warm-up
        # With several workers the main process only waits for them; with one, it serves.
        workers = [pid for pid in _descendants(rasa.pid) if pid != rasa.pid] or [rasa.pid]
        spies = []
        for pid in workers:
            messages = stack.enter_context((RAW / f"rasa-{pid}.log").open("w"))
            spies.append(subprocess.Popen([PY_SPY, "record", "--format", "raw", "--rate", "100", "--nonblocking",
                                           "--output", str(RAW / f"rasa-{pid}.txt"), "--pid", str(pid)],
                                          stdout=subprocess.DEVNULL, stderr=messages))
        try:
            load = summarise([drive("assistant", config.rest_url, texts, args.users, args.conversations,
                                    MESSAGES_PER_CONVERSATION)])
        finally:
            for spy in spies:
                spy.send_signal(signal.SIGINT)  # py-spy writes its output and stops
            for spy in spies:
                spy.wait(timeout=60)
    stacks = read_stacks(sorted(RAW.glob("rasa-*.txt")))
    if not stacks:
        # py-spy attaches with ptrace: it needs root, or kernel.yama.ptrace_scope=0.
        sys.exit(f"py-spy recorded no samples: see its messages in {RAW}/rasa-*.log")
    text = (f"{args.users} users, {load['messages']} messages: {load['messages_per_second']} messages/s "
            f"while profiled, {len(workers)} Rasa server process(es)\n\n" + report(stacks))
    print(text)
    out = RESULTS / "profile_load.txt"
    out.write_text(text + "\n", encoding="utf-8")
    print(f"\nwritten to {out}; py-spy's raw stacks in {RAW}")


if __name__ == "__main__":
    main()
