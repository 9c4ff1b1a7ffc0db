"""How the assistant answers real questions: the set people posted on public pages
(tests/real_questions/), graded right / hedged / wrong per language by tests/real_set.py.

    .venv/bin/python bench/real_questions.py [--failures]

The held-out third (heldout.yml) is measured, never shown: --failures lists the failures of
the tuning two thirds (tune.yml) only. Results are printed and written to
results/real_questions.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.dialogue.runtime import dialogue  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from tests.evaluation import model_parser  # noqa: E402
from tests.real_set import REAL_SETS, evaluate_real, load_real_set  # noqa: E402

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"
RESULTS = PROJECT_ROOT / "results" / "real_questions.json"
# The targets on the held-out third, in each language.
TARGET_RIGHT, TARGET_WRONG = 0.85, 0.02


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--failures", action="store_true", help="list the tuning set's failures")
    args = parser.parse_args()
    parse = model_parser(MODEL)
    answering = dialogue()
    results: dict[str, dict[str, dict[str, float | int]]] = {}
    for name, path in REAL_SETS.items():
        reports = evaluate_real(load_real_set(path), parse, answering)
        for language, report in sorted(reports.items()):
            figures = {grade: round(report.rate(grade), 3) for grade in report.counts}
            aspects_read = round(report.aspects_read_rate, 3)
            results.setdefault(name, {})[language] = {"questions": report.total, **figures,
                                                      "aspects_read_exactly": aspects_read}
            target = ""
            if name == "heldout":
                met = report.rate("right") >= TARGET_RIGHT and report.rate("wrong") <= TARGET_WRONG
                target = f"  (target right >= {TARGET_RIGHT}, wrong <= {TARGET_WRONG}: {'met' if met else 'NOT met'})"
            print(f"{name:8} {language}: {report.total:3} questions  right {figures['right']:.3f}  "
                  f"hedged {figures['hedged']:.3f}  wrong {figures['wrong']:.3f}  "
                  f"(aspects read exactly {aspects_read:.3f}){target}")
            for cause, count in report.causes.most_common():
                print(f"    {count:3}  {cause}")
            if args.failures and name == "tune":
                print("\n".join(f"    {failure}" for failure in report.failures))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"date": date.today().isoformat(), **results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
