"""Measures the assistant and prints the figures quoted in docs/benchmarks.md.

    .venv/bin/python bench/benchmark.py [--messages 240] [--skip-training]

1. Held-out accuracy of the trained model, per language (tests/nlu/heldout.yml and
   heldout_zh.yml), against the targets: intent, and the answer the custom actions choose.
   Then the questions beyond the knowledge (tests/nlu/out_of_scope.yml and unknown.yml):
   unrelated requests answered from the knowledge, honest answers about certificates and
   topics the knowledge lacks, and the threshold sweep plotted to results/scope_tradeoff.png
   (bench/scope_benchmark.py).
2. Training time: a full `rasa train --force` into a temporary folder; the retrained model is
   evaluated too, to show that the fixed random seeds make training repeatable. Then the
   training after one FAQ answer's text is edited, and which components it trained again.
3. Latency through the REST channel per language, with the real action server: p50 and p95
   over --messages sequential messages (held-out phrasings, cycled), after a warm-up, in
   conversations of --turns messages each, as users hold them (bench/load_benchmark.py
   measures latency against a conversation's length).

Results are printed and written to results/benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scope_benchmark import sweep  # noqa: E402
from bot.dialogue.runtime import dialogue  # noqa: E402
from bot.knowledge.response_names import FAQ_PREFIX  # noqa: E402
from bot.processes.stack import RASA, StackConfig, free_port, running_stack, server_environment  # noqa: E402
from bot.settings import PROJECT_ROOT, load_settings  # noqa: E402
from tests.evaluation import (  # noqa: E402
    HELDOUT_SETS,
    OUT_OF_SCOPE_SET,
    UNKNOWN_DEVELOPMENT_SETS,
    ParseFunction,
    Report,
    evaluate,
    evaluate_out_of_scope,
    evaluate_uncovered,
    evaluate_unlisted,
    load_examples,
    load_unknown,
    model_parser,
)
from tests.servers import UNLIMITED_CLIENTS  # noqa: E402

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"
# Issue #8's targets for held-out intent and answer accuracy.
TARGET_ACCURACY = {"en": 0.95, "zh": 0.93}
# Issue #10's targets for training (its 3 minutes from scratch, and an answer-text edit).
TARGET_TRAINING_SECONDS = 180
TARGET_ANSWER_EDIT_SECONDS = 60
# Issue #9's targets: unrelated requests answered from the knowledge, and questions about
# certificates without an entry answered honestly.
TARGET_FALSE_ANSWERS = 0.02
TARGET_UNLISTED_HONEST = 0.90
WARM_UP = 10


def accuracy(parse: ParseFunction) -> dict[str, Report]:
    return {language: evaluate(load_examples(path), parse, dialogue()) for language, path in HELDOUT_SETS.items()}


def scope_figures(parse: ParseFunction) -> dict[str, object]:
    """Questions beyond the knowledge (issue #9), and the threshold sweep with its plot."""
    unrelated = evaluate_out_of_scope([e.text for e in load_examples(OUT_OF_SCOPE_SET)], parse, dialogue())
    unknown = load_unknown()
    unlisted = evaluate_unlisted(unknown["unlisted"], parse, dialogue())
    uncovered = evaluate_uncovered(unknown["uncovered"], parse, dialogue())
    false_met = unrelated.wrong_rate <= TARGET_FALSE_ANSWERS
    unlisted_met = unlisted.right_rate >= TARGET_UNLISTED_HONEST and unlisted.wrong == 0
    print(f"unrelated requests ({unrelated.total}): declined {unrelated.right_rate:.3f}, answered from the knowledge "
          f"{unrelated.wrong_rate:.3f}; target <= {TARGET_FALSE_ANSWERS}: {'met' if false_met else 'NOT met'}")
    print(f"certificates without an entry ({unlisted.total}): honest answer {unlisted.right_rate:.3f}, another "
          f"entry's answer {unlisted.wrong}; target >= {TARGET_UNLISTED_HONEST} and 0: "
          f"{'met' if unlisted_met else 'NOT met'}")
    print(f"topics the knowledge lacks ({uncovered.total}): honest answer {uncovered.right_rate:.3f}, "
          f"a different aspect's answer {uncovered.wrong}", flush=True)
    development = {path.name: evaluate_unlisted(load_unknown(path)["unlisted"], parse, dialogue())
                   for path in UNKNOWN_DEVELOPMENT_SETS}
    print("  development sets, read while tuning (certificates without an entry, honest answer): " + ", ".join(
        f"{name} {report.right_rate:.3f} ({report.total})" for name, report in development.items()), flush=True)
    swept = sweep(parse, dialogue())
    for label, points in swept["curves"].items():
        print(f"  threshold sweep, {label}: " + ", ".join(
            f"{p['threshold']}: {p['in_scope_answer_accuracy']:.3f}/{p['false_answer_rate']:.3f}" for p in points))
    print(f"  (threshold: in-scope answer accuracy / false-answer rate; configured {swept['configured_threshold']};"
          f" plot {swept['plot']})", flush=True)
    return {
        "unrelated": {"examples": unrelated.total, "declined": round(unrelated.right_rate, 3),
                      "false_answers": round(unrelated.wrong_rate, 3), "target": TARGET_FALSE_ANSWERS,
                      "target_met": false_met},
        "unlisted": {"examples": unlisted.total, "honest": round(unlisted.right_rate, 3),
                     "another_entry": unlisted.wrong, "target": TARGET_UNLISTED_HONEST, "target_met": unlisted_met},
        "uncovered": {"examples": uncovered.total, "honest": round(uncovered.right_rate, 3),
                      "different_aspect": uncovered.wrong},
        "unlisted_development_sets": {name: {"examples": report.total, "honest": round(report.right_rate, 3)}
                                      for name, report in development.items()},
        "sweep": swept,
    }


def train_from_scratch(out_dir: Path) -> tuple[float, Path]:
    config = StackConfig(load_settings(), MODEL)
    started = time.perf_counter()
    subprocess.run(
        [RASA, "train", "--force", "--fixed-model-name", "retrained", "--out", str(out_dir)],
        cwd=PROJECT_ROOT, env=server_environment(config), check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, out_dir / "retrained.tar.gz"


EDIT_MARK = "(Edited.) "
# Where a Rasa 3.6 model file keeps the domain, with every response text.
MODEL_DOMAIN = "components/domain_provider/domain.yml"


def retrain_after_answer_edit(out_dir: Path) -> tuple[float, list[str]]:
    """Trains a copy of the training inputs in which one FAQ answer's text is changed, with
    the project's training cache (as `make run` does after such an edit). Returns the
    seconds it took and the components that were trained again rather than restored, after
    checking that the new model answers with the edited text."""
    inputs = out_dir / "inputs"
    shutil.copytree(PROJECT_ROOT / "data", inputs / "data")
    responses = inputs / "data" / "generated" / "responses.yml"
    text = responses.read_text(encoding="utf-8")
    answer = text.index('- text: "', text.index(FAQ_PREFIX)) + len('- text: "')
    responses.write_text(text[:answer] + EDIT_MARK + text[answer:], encoding="utf-8")
    started = time.perf_counter()
    log = subprocess.run(
        [RASA, "train", "--config", "config.yml", "--domain", "domain.yml", "--data", str(inputs / "data"),
         "--fixed-model-name", "edited", "--out", str(out_dir)],
        cwd=PROJECT_ROOT, env=server_environment(StackConfig(load_settings(), MODEL)), check=True, capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    with tarfile.open(out_dir / "edited.tar.gz") as model:
        domain = model.extractfile(MODEL_DOMAIN)
        if domain is None or EDIT_MARK not in domain.read().decode("utf-8"):
            raise RuntimeError("the model trained after the edit does not hold the edited answer")
    trained = re.findall(r"Starting to train component '(\w+)'", log.stdout + log.stderr)
    return seconds, trained


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

    results["scope"] = scope_figures(parse)

    if not args.skip_training:
        with tempfile.TemporaryDirectory() as folder:
            seconds, retrained = train_from_scratch(Path(folder))
            again = accuracy(model_parser(retrained))
            edit_seconds, retrained_components = retrain_after_answer_edit(Path(folder))
        repeatable = all(
            (again[language].intent_correct, again[language].answer_correct)
            == (reports[language].intent_correct, reports[language].answer_correct)
            for language in HELDOUT_SETS
        )
        results["training"] = {"seconds": round(seconds, 1), "target_seconds": TARGET_TRAINING_SECONDS,
                               "retrained_same_heldout_results": repeatable,
                               "answer_edit_seconds": round(edit_seconds, 1),
                               "answer_edit_target_seconds": TARGET_ANSWER_EDIT_SECONDS,
                               "answer_edit_retrained": retrained_components}
        print(f"training: {seconds:.1f} s from scratch (target <= {TARGET_TRAINING_SECONDS} s: "
              f"{'met' if seconds <= TARGET_TRAINING_SECONDS else 'NOT met'}); retrained model gives the same "
              f"held-out results: {repeatable}", flush=True)
        print(f"training after an answer's text is edited: {edit_seconds:.1f} s (target <= "
              f"{TARGET_ANSWER_EDIT_SECONDS} s: {'met' if edit_seconds <= TARGET_ANSWER_EDIT_SECONDS else 'NOT met'});"
              f" trained again: {', '.join(retrained_components) or 'nothing'}", flush=True)

    log_path = PROJECT_ROOT / "results" / "benchmark-servers.log"
    log_path.parent.mkdir(exist_ok=True)
    # One Rasa server process; one client, sending as fast as it is answered.
    settings = load_settings({**os.environ, **UNLIMITED_CLIENTS})
    config = StackConfig(settings.with_server(rasa_port=free_port(), action_port=free_port(), workers=1), MODEL)
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
