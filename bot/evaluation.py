"""Measures how well a trained model answers a held-out test set.

Rasa is imported inside the functions that need it, so importing `bot` stays Rasa-free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.dialogue import Dialogue
from bot.response_names import FAQ_INTENT, catalog_response, faq_entry_id, faq_response
from bot.settings import PROJECT_ROOT
from bot.text import DEFAULT_LANGUAGE, detect_language

ParseFunction = Callable[[str], Mapping[str, Any]]

# The held-out test sets, by language: phrasings written apart from the training data.
HELDOUT_SETS = {language: PROJECT_ROOT / "tests" / "nlu" / name
                for language, name in (("en", "heldout.yml"), ("zh", "heldout_zh.yml"))}


@dataclass(frozen=True)
class Example:
    text: str
    intent: str  # full intent, e.g. "faq/expiry_and_renewal" or "ask_certificate_needed"
    entities: tuple[Mapping[str, Any], ...]


@dataclass
class Report:
    total: int = 0
    intent_correct: int = 0
    answer_total: int = 0
    answer_correct: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.total if self.total else 0.0

    @property
    def answer_accuracy(self) -> float:
        return self.answer_correct / self.answer_total if self.answer_total else 0.0


def load_examples(path: Path) -> list[Example]:
    """Reads a Rasa NLU YAML file into examples with their full intents and entities."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [
        Example(message.get("text"), message.get_full_intent(), tuple(message.get("entities") or ()))
        for message in data.intent_examples
    ]


def expected_response(dialogue: Dialogue, example: Example) -> str | None:
    """The response that should answer an example, or None for small talk."""
    mentioned = dialogue.mentions.from_entities(example.entities)
    if example.intent.startswith(f"{FAQ_INTENT}/"):
        entry = dialogue.kb.faq_entry(faq_entry_id(example.intent))
        if entry.catalog_aspect and mentioned:
            return catalog_response(mentioned, entry.catalog_aspect)
        return faq_response(entry.id)
    try:
        question = dialogue.kb.question_for_intent(example.intent)
    except KeyError:
        return None
    return catalog_response(mentioned, question.aspect) if mentioned else None


def actual_response(dialogue: Dialogue, intent: str, parsed: Mapping[str, Any]) -> str:
    """The response the assistant's actions choose for a parsed message (no prior context)."""
    language = detect_language(str(parsed.get("text") or "")) or DEFAULT_LANGUAGE
    if intent == FAQ_INTENT:
        return dialogue.answer_faq(parsed, language).response
    try:
        dialogue.kb.question_for_intent(intent)
    except KeyError:
        return intent  # small talk, fallback: not a knowledge answer
    return dialogue.answer_catalog(parsed, None, language).response


def evaluate(examples: list[Example], parse: ParseFunction, dialogue: Dialogue) -> Report:
    """Parses every example and compares intent and chosen answer with the expected ones."""
    report = Report()
    for example in examples:
        parsed = parse(example.text)
        intent = str((parsed.get("intent") or {}).get("name"))
        top_intent = example.intent.split("/", 1)[0]
        report.total += 1
        if intent == top_intent:
            report.intent_correct += 1
        else:
            report.failures.append(f"intent  {example.text!r}: expected {top_intent}, got {intent}")
        expected = expected_response(dialogue, example)
        if expected is None:
            continue
        report.answer_total += 1
        actual = actual_response(dialogue, intent, parsed)
        if actual == expected:
            report.answer_correct += 1
        else:
            report.failures.append(f"answer  {example.text!r}: expected {expected}, got {actual}")
    return report


def model_parser(model_path: Path) -> ParseFunction:
    """Loads a trained Rasa model and returns a function that parses one message with it."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    loop = asyncio.new_event_loop()

    def parse(text: str) -> Mapping[str, Any]:
        return loop.run_until_complete(agent.parse_message(text))

    return parse
