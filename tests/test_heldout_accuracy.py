"""Held-out accuracy of the trained model: phrasings it never saw in training."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.dialogue import Dialogue
from bot.evaluation import evaluate, load_examples, model_parser
from bot.knowledge import KnowledgeBase
from bot.knowledge_loader import normalize_phrase
from bot.settings import PROJECT_ROOT

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
MIN_ACCURACY = 0.9


def training_texts() -> set[str]:
    texts: set[str] = set()
    for path in sorted((PROJECT_ROOT / "data").rglob("*.yml")):
        if "nlu:" in path.read_text(encoding="utf-8"):
            texts |= {normalize_phrase(example.text) for example in load_examples(path)}
    return texts


def test_heldout_phrasings_appear_nowhere_in_training() -> None:
    overlap = {normalize_phrase(e.text) for e in load_examples(HELDOUT)} & training_texts()
    assert not overlap, f"held-out phrasings also in training data: {sorted(overlap)}"


def test_heldout_has_five_per_faq_entry_and_catalog_question(kb: KnowledgeBase) -> None:
    counts = Counter(example.intent for example in load_examples(HELDOUT))
    expected = [f"faq/{entry.id}" for entry in kb.faq] + [question.intent for question in kb.questions]
    assert {intent: counts[intent] for intent in expected if counts[intent] < 5} == {}


def test_heldout_accuracy_is_at_least_90_percent(trained_model: Path, dialogue: Dialogue) -> None:
    report = evaluate(load_examples(HELDOUT), model_parser(trained_model), dialogue)
    summary = (
        f"intent accuracy {report.intent_accuracy:.3f} over {report.total}, "
        f"answer accuracy {report.answer_accuracy:.3f} over {report.answer_total}\n" + "\n".join(report.failures)
    )
    print(summary)
    assert report.intent_accuracy >= MIN_ACCURACY, summary
    assert report.answer_accuracy >= MIN_ACCURACY, summary


@pytest.fixture(autouse=True)
def _quiet_rasa_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING")
