"""How far two labellers agree on the real set: second, independent labellings of samples of
the tuning questions (tests/real_questions/second_labeller*.yml, 150 questions each, labelled
by LABELLING.md without seeing the first labels: one before the file settled the cases they
split on, one after, on other questions) against the labels of tune.yml.

    .venv/bin/python bench/label_agreement.py [--labels PATH] [--answers]

Agreement bounds what any grading by these labels can tell: where two people who follow the
same rules disagree, an answer can be graded wrong by one and right by the other. With
--answers, the assistant's answers to the sample are graded by each labelling.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.settings import PROJECT_ROOT  # noqa: E402
from tests.real_set import (  # noqa: E402
    DECLINED_SUBJECTS,
    REAL_SETS,
    SECOND_LABELLINGS,
    RealQuestion,
    evaluate_real,
    load_real_set,
)


def _subject_kind(subject: str) -> str:
    """Subjects as the grading tells them apart: unlisted:X by its kind only (two labellers
    may write a name differently: "焊工证", "焊工"), other_certificate as unrelated (both are
    to be declined)."""
    kind, colon, _ = subject.partition(":")
    if subject in DECLINED_SUBJECTS:
        return "declined"
    return kind if colon and kind == "unlisted" else subject


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, action="append",
                        help="another labelling of tuning questions (default: each of tests/real_questions/"
                             + ", ".join(path.name for path in SECOND_LABELLINGS) + ")")
    parser.add_argument("--answers", action="store_true", help="grade the assistant's answers by each labelling")
    args = parser.parse_args()
    first = {question.text: question for question in load_real_set(REAL_SETS["tune"])}
    for path in args.labels or SECOND_LABELLINGS:
        second = load_real_set(path)
        missing = [question.text for question in second if question.text not in first]
        if missing:
            sys.exit(f"error: {path}: {len(missing)} question(s) not in tune.yml, the first: {missing[0]!r}")
        print(f"{path.name}:")
        _agreement(second, first)
        if args.answers:
            _grade_by_each(second, [first[question.text] for question in second], path.name)


def _agreement(second: list[RealQuestion], first: dict[str, RealQuestion]) -> None:
    """Prints, per language, how often the two labellings give the same subject and aspects."""
    counts: dict[str, Counter[str]] = {}
    for theirs in second:
        ours = first[theirs.text]
        count = counts.setdefault(theirs.language, Counter())
        count["questions"] += 1
        same_subject = _subject_kind(ours.subject) == _subject_kind(theirs.subject)
        same_aspects = set(ours.aspects) == set(theirs.aspects)
        count["subject"] += same_subject
        count["aspects"] += same_aspects
        count["both"] += same_subject and same_aspects
    for language, count in sorted(counts.items()):
        total = count["questions"]
        print(f"  {language}: {total} questions labelled twice; the same subject {count['subject'] / total:.3f}, "
              f"the same aspects {count['aspects'] / total:.3f}, both {count['both'] / total:.3f}")


def _grade_by_each(second: list[RealQuestion], first: list[RealQuestion], other: str) -> None:
    """The assistant's answers to the sample, graded by the first labels and by the second."""
    from bot.dialogue.runtime import dialogue
    from tests.evaluation import model_parser

    parse, answering = model_parser(PROJECT_ROOT / "models" / "certificates.tar.gz"), dialogue()
    for name, questions in (("tune.yml", first), (other, second)):
        for language, report in sorted(evaluate_real(questions, parse, answering).items()):
            figures = "  ".join(f"{grade} {report.rate(grade):.3f}" for grade in report.counts)
            print(f"  answers graded by {name:28} {language}: {figures}")


if __name__ == "__main__":
    main()
