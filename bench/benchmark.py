"""Measures the assistant and prints the figures quoted in the README.

    .venv/bin/python bench/benchmark.py [--messages 240] [--skip-training]

1. Held-out accuracy of the trained model, per language (tests/nlu/heldout.yml and
   heldout_zh.yml), against the targets: intent, and the answer the custom actions choose;
   and how many held-out intents a FallbackClassifier threshold would let through right or
   wrong, or send to fallback.
2. Training time: a full `rasa train --force` into a temporary folder; the retrained model is
   evaluated too, to show that the fixed random seeds make training repeatable.
3. Latency through the REST channel per language, with the real action server: p50 and p95
   over --messages sequential messages (held-out phrasings, cycled), after a warm-up, in
   conversations of --turns messages each (every turn sends the whole conversation to the
   action server, so one endless conversation would measure its length, not the assistant).

Results are printed and written to results/benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.evaluation import HELDOUT_SETS, ParseFunction, Report, evaluate, load_examples, model_parser  # noqa: E402
from bot.runtime import dialogue  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from bot.stack import RASA, StackConfig, free_port, running_stack, server_environment  # noqa: E402

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"
# Issue #8's targets for held-out intent and answer accuracy.
TARGET_ACCURACY = {"en": 0.95, "zh": 0.93}
TARGET_TRAINING_SECONDS = 360
WARM_UP = 10


def accuracy(parse: ParseFunction) -> dict[str, Report]:
    return {language: evaluate(load_examples(path), parse, dialogue()) for language, path in HELDOUT_SETS.items()}


def threshold_sweep(parse: ParseFunction) -> dict[str, dict[str, int]]:
    """Held-out intents that would be right, wrong or sent to fallback at each threshold."""
    tops = []
    for example in [example for path in HELDOUT_SETS.values() for example in load_examples(path)]:
        ranking = [i for i in parse(example.text)["intent_ranking"] if i["name"] != "nlu_fallback"]
        tops.append((ranking[0]["confidence"], ranking[0]["name"] == example.intent.split("/", 1)[0]))
    sweep = {}
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6):
        right = sum(1 for confidence, ok in tops if ok and confidence >= threshold)
        wrong = sum(1 for confidence, ok in tops if not ok and confidence >= threshold)
        sweep[str(threshold)] = {"right": right, "wrong": wrong, "fallback": len(tops) - right - wrong}
    return sweep


def train_from_scratch(out_dir: Path) -> tuple[float, Path]:
    config = StackConfig(model=MODEL)
    started = time.perf_counter()
    subprocess.run(
        [RASA, "train", "--force", "--fixed-model-name", "retrained", "--out", str(out_dir)],
        cwd=PROJECT_ROOT, env=server_environment(config), check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, out_dir / "retrained.tar.gz"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rest_latency(config: StackConfig, texts: list[str], messages: int, turns: int, log_path: Path) -> dict[str, float]:
    timings = []
    with requests.Session() as session:
        for index in range(WARM_UP + messages):
            if index % turns == 0:
                sender = f"bench-{uuid.uuid4().hex}"
            text = texts[index % len(texts)]
            started = time.perf_counter()
            reply = session.post(config.rest_url, json={"sender": sender, "message": text}, timeout=60)
            elapsed = time.perf_counter() - started
            reply.raise_for_status()
            if not reply.json():
                raise RuntimeError(f"no reply to {text!r}; see {log_path}")
            if index >= WARM_UP:
                timings.append(elapsed * 1000)
    return {
        "messages": len(timings),
        "turns_per_conversation": turns,
        "p50_ms": round(percentile(timings, 0.50), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "mean_ms": round(statistics.mean(timings), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=240, help="messages to time through REST (>= 200)")
    parser.add_argument("--turns", type=int, default=10, help="messages per conversation")
    parser.add_argument("--skip-training", action="store_true", help="do not measure a full training run")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if not MODEL.exists():
        sys.exit(f"no trained model at {MODEL}: run `make train` first")

    results: dict[str, object] = {"machine": f"{platform.machine()}, {platform.python_version()}"}
    parse = model_parser(MODEL)
    reports = accuracy(parse)
    results["heldout"] = {}
    for language, report in reports.items():
        target = TARGET_ACCURACY[language]
        met = min(report.intent_accuracy, report.answer_accuracy) >= target
        results["heldout"][language] = {  # type: ignore[index]
            "examples": report.total,
            "intent_accuracy": round(report.intent_accuracy, 3),
            "answer_examples": report.answer_total,
            "answer_accuracy": round(report.answer_accuracy, 3),
            "target": target,
            "target_met": met,
        }
        print(f"held-out {language}: intent accuracy {report.intent_accuracy:.3f} ({report.total} examples), "
              f"answer accuracy {report.answer_accuracy:.3f} ({report.answer_total} examples); "
              f"target {target}: {'met' if met else 'NOT met'}", flush=True)

    results["fallback_threshold_sweep"] = threshold_sweep(parse)
    for threshold, counts in results["fallback_threshold_sweep"].items():
        print(f"  FallbackClassifier threshold {threshold}: {counts['right']} right, {counts['wrong']} wrong, "
              f"{counts['fallback']} to fallback", flush=True)

    if not args.skip_training:
        with tempfile.TemporaryDirectory() as folder:
            seconds, retrained = train_from_scratch(Path(folder))
            again = accuracy(model_parser(retrained))
        repeatable = all(
            (again[language].intent_correct, again[language].answer_correct)
            == (reports[language].intent_correct, reports[language].answer_correct)
            for language in HELDOUT_SETS
        )
        results["training"] = {"seconds": round(seconds, 1), "target_seconds": TARGET_TRAINING_SECONDS,
                               "retrained_same_heldout_results": repeatable}
        print(f"training: {seconds:.1f} s from scratch (target <= {TARGET_TRAINING_SECONDS} s: "
              f"{'met' if seconds <= TARGET_TRAINING_SECONDS else 'NOT met'}); retrained model gives the same "
              f"held-out results: {repeatable}", flush=True)

    log_path = PROJECT_ROOT / "results" / "benchmark-servers.log"
    log_path.parent.mkdir(exist_ok=True)
    config = StackConfig(model=MODEL, rasa_port=free_port(), action_port=free_port())
    results["rest_latency"] = {}
    with log_path.open("wb") as log, running_stack(config, log):
        for language, path in HELDOUT_SETS.items():
            texts = [example.text for example in load_examples(path)]
            latency = rest_latency(config, texts, args.messages, args.turns, log_path)
            results["rest_latency"][language] = latency  # type: ignore[index]
            print(f"REST latency, {language}, over {latency['messages']} messages ({args.turns} per conversation): "
                  f"p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, mean {latency['mean_ms']} ms", flush=True)

    out = PROJECT_ROOT / "results" / "benchmark.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
