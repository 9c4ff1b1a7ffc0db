"""Held-out accuracy of the trained model: phrasings it never saw in training."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.dialogue.answering import Dialogue
from bot.knowledge.model import KnowledgeBase
from bot.text import normalize_phrase
from tests.conftest import training_texts
from tests.evaluation import HELDOUT_SETS, ParseFunction, evaluate, load_examples

# The targets are 0.95 English and 0.93 Chinese (`make bench` reports them: 0.984 / 0.960
# English and 0.968 / 0.964 Chinese measured, intent / answer). The guard leaves English one
# phrasing of room below its target, since a phrasing moves it by about one point.
MIN_ACCURACY = {"en": 0.94, "zh": 0.93}


@pytest.mark.parametrize("language", HELDOUT_SETS)
def test_heldout_phrasings_appear_nowhere_in_training(language: str) -> None:
    overlap = {normalize_phrase(e.text) for e in load_examples(HELDOUT_SETS[language])} & training_texts()
    assert not overlap, f"held-out phrasings also in training data: {sorted(overlap)}"


@pytest.mark.parametrize("language", HELDOUT_SETS)
def test_heldout_has_five_per_faq_entry_and_catalog_question(kb: KnowledgeBase, language: str) -> None:
    counts = Counter(example.intent for example in load_examples(HELDOUT_SETS[language]))
    expected = [f"faq/{entry.id}" for entry in kb.faq] + [question.intent for question in kb.questions]
    assert {intent: counts[intent] for intent in expected if counts[intent] < 5} == {}


@pytest.mark.parametrize("language", HELDOUT_SETS)
def test_heldout_accuracy(parse: ParseFunction, dialogue: Dialogue, language: str) -> None:
    report = evaluate(load_examples(HELDOUT_SETS[language]), parse, dialogue)
    summary = (
        f"intent accuracy {report.intent_accuracy:.3f} over {report.total}, "
        f"answer accuracy {report.answer_accuracy:.3f} over {report.answer_total}\n" + "\n".join(report.failures)
    )
    print(summary)
    assert report.intent_accuracy >= MIN_ACCURACY[language], summary
    assert report.answer_accuracy >= MIN_ACCURACY[language], summary


@pytest.fixture(autouse=True)
def _quiet_rasa_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING")
