"""Held-out questions beyond the knowledge, through the trained model: unrelated requests
must be declined, and questions about certificates or topics the knowledge lacks answered
honestly, never with another entry's answer (issue #9). `make bench` reports the figures."""

from __future__ import annotations

import pytest

from bot.dialogue.answering import Dialogue
from bot.text import HAN_CHARACTER, normalize_phrase
from tests.conftest import training_texts
from tests.evaluation import (
    OUT_OF_SCOPE_SET,
    ParseFunction,
    evaluate_out_of_scope,
    evaluate_uncovered,
    evaluate_unlisted,
    load_examples,
    load_unknown,
)

# Issue #9 asks for at most 3% false answers here (2% in `make bench`: 1.5% measured), no
# other entry's answer, and at least 0.90 honest answers about unlisted certificates (0.909
# measured on a set written apart, whose failures were never read while tuning).
MAX_FALSE_ANSWERS = 0.03
MIN_HONEST_UNLISTED = 0.90
MAX_OTHER_ENTRY_ANSWERS = 0
MAX_OTHER_ASPECT_ANSWERS = 5


def test_scope_sets_are_large_apart_from_training_and_in_both_languages() -> None:
    unrelated = [example.text for example in load_examples(OUT_OF_SCOPE_SET)]
    unknown = load_unknown()
    chinese = sum(1 for text in unrelated if HAN_CHARACTER.search(text))
    assert len(unrelated) >= 300 and chinese >= 150 and len(unrelated) - chinese >= 150
    assert len(unknown["unlisted"]) >= 40 and len(unknown["uncovered"]) >= 30
    texts = unrelated + [q.text for questions in unknown.values() for q in questions]
    overlap = {normalize_phrase(text) for text in texts} & training_texts()
    assert not overlap, f"held-out questions also in training data: {sorted(overlap)}"


def test_unrelated_requests_are_declined(parse: ParseFunction, dialogue: Dialogue) -> None:
    report = evaluate_out_of_scope([e.text for e in load_examples(OUT_OF_SCOPE_SET)], parse, dialogue)
    print(f"declined {report.right_rate:.3f}, answered from the knowledge {report.wrong_rate:.3f}")
    assert report.wrong_rate <= MAX_FALSE_ANSWERS, "\n".join(report.failures)


def test_unlisted_certificates_get_the_honest_answer(parse: ParseFunction, dialogue: Dialogue) -> None:
    report = evaluate_unlisted(load_unknown()["unlisted"], parse, dialogue)
    print(f"honest {report.right_rate:.3f}, another entry's answer {report.wrong}")
    assert report.wrong <= MAX_OTHER_ENTRY_ANSWERS and report.right_rate >= MIN_HONEST_UNLISTED, "\n".join(
        report.failures)


def test_topics_the_knowledge_lacks_are_not_answered_with_another_aspect(
    parse: ParseFunction, dialogue: Dialogue
) -> None:
    report = evaluate_uncovered(load_unknown()["uncovered"], parse, dialogue)
    print(f"honest {report.right_rate:.3f}, a different aspect's answer {report.wrong}")
    assert report.wrong <= MAX_OTHER_ASPECT_ANSWERS, "\n".join(report.failures)


@pytest.fixture(autouse=True)
def _quiet_rasa_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING")
