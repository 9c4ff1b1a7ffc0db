"""Tries a variant of config.yml: trains a model with it from scratch, timed, and reports the
held-out intent and answer accuracy, unrelated requests answered, and the real-question
tuning set (never the held-out third), to compare with `bench/benchmark.py`'s figures.

    .venv/bin/python bench/config_trial.py VARIANT.yml NAME

The model and its training log go to build/trials/NAME/; config.yml is not touched. Run
nothing else meanwhile: training time depends on what else the two cores are doing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchmark import accuracy  # noqa: E402
from bot.dialogue.runtime import dialogue  # noqa: E402
from bot.processes.stack import RASA  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from tests.evaluation import OUT_OF_SCOPE_SET, evaluate_out_of_scope, load_examples, model_parser  # noqa: E402
from tests.real_set import REAL_SETS, evaluate_real, load_real_set  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", type=Path, help="the config.yml variant")
    parser.add_argument("name", help="a name for the trial (its folder under build/trials/)")
    args = parser.parse_args()
    out = PROJECT_ROOT / "build" / "trials" / args.name
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with (out / "train.log").open("wb") as log:
        subprocess.run([RASA, "train", "--force", "--config", str(args.config.resolve()), "--fixed-model-name",
                        "trial", "--out", str(out)], cwd=PROJECT_ROOT, check=True, stdout=log,
                       stderr=subprocess.STDOUT,
                       env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(PROJECT_ROOT)})
    print(f"{args.name}: training from scratch {time.perf_counter() - started:.1f} s", flush=True)
    parse = model_parser(out / "trial.tar.gz")
    for language, report in accuracy(parse).items():
        print(f"{args.name}: held-out {language}: intent {report.intent_accuracy:.3f}, "
              f"answer {report.answer_accuracy:.3f}")
    unrelated = evaluate_out_of_scope([example.text for example in load_examples(OUT_OF_SCOPE_SET)], parse,
                                      dialogue())
    print(f"{args.name}: unrelated requests answered from the knowledge {unrelated.wrong_rate:.3f}")
    for language, real in sorted(evaluate_real(load_real_set(REAL_SETS["tune"]), parse, dialogue()).items()):
        print(f"{args.name}: real questions, tuning set, {language}: right {real.rate('right'):.3f}, "
              f"wrong {real.rate('wrong'):.3f}")


if __name__ == "__main__":
    main()
