"""Measures how well a trained model answers a held-out test set.

Rasa is imported inside the functions that need it, so importing `bot` stays Rasa-free.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.dialogue.answering import Dialogue
from bot.knowledge.mentions import MentionFinder
from bot.knowledge.response_names import (
    ASK_WHICH_CATALOG_ENTRY,
    CATALOG_PREFIX,
    FAQ_INTENT,
    FAQ_PREFIX,
    OUT_OF_SCOPE,
    UNCOVERED,
    UNLISTED,
    catalog_response,
    faq_entry_id,
    faq_response,
)
from bot.knowledge.routing import ANSWER_ACTION, LOOKUP_FORM, route_table
from bot.settings import PROJECT_ROOT
from bot.text import DEFAULT_LANGUAGE, detect_language, normalize_phrase
from bot.understanding.gate import Findings

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


def expected_response(dialogue: Dialogue, mentions: MentionFinder, example: Example) -> str | None:
    """The response that should answer an example, or None for small talk."""
    mentioned = mentions.from_entities(example.entities)
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


def answer_to(dialogue: Dialogue, parsed: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """The response (or form) that bot.knowledge.routing and the dialogue choose for a parsed message
    at the start of a conversation, with the values of its placeholders."""
    intent = str((parsed.get("intent") or {}).get("name"))
    route = route_table(dialogue.kb).get(intent)
    if route is None:
        return intent, {}  # cancel: nothing to answer from the knowledge
    if route.action != ANSWER_ACTION:
        return route.action, {}
    language = detect_language(str(parsed.get("text") or "")) or DEFAULT_LANGUAGE
    reply = dialogue.answer(parsed, None, language)
    # Every message sent: an answer with more parts than the one expected is not that answer.
    return " + ".join(part.response for part in reply.parts()), reply.values


def actual_response(dialogue: Dialogue, parsed: Mapping[str, Any]) -> str:
    return answer_to(dialogue, parsed)[0]


def classified_intent(parsed: Mapping[str, Any]) -> str:
    """The classifiers' intent: a question the domain gate answers aspect by aspect keeps it."""
    found = Findings.of(parsed)
    if found is not None and found.classified:
        return found.classified
    return str((parsed.get("intent") or {}).get("name"))


def evaluate(examples: list[Example], parse: ParseFunction, dialogue: Dialogue) -> Report:
    """Parses every example and compares intent and chosen answer with the expected ones."""
    report = Report()
    mentions = MentionFinder(dialogue.kb)
    for example in examples:
        parsed = parse(example.text)
        intent = classified_intent(parsed)
        top_intent = example.intent.split("/", 1)[0]
        report.total += 1
        if intent == top_intent:
            report.intent_correct += 1
        else:
            report.failures.append(f"intent  {example.text!r}: expected {top_intent}, got {intent}")
        expected = expected_response(dialogue, mentions, example)
        if expected is None:
            continue
        report.answer_total += 1
        actual = actual_response(dialogue, parsed)
        if actual == expected:
            report.answer_correct += 1
        else:
            report.failures.append(f"answer  {example.text!r}: expected {expected}, got {actual}")
    return report


def model_parser(model_path: Path) -> ParseFunction:
    """Loads a trained Rasa model and returns a function that parses one message with it."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Unconfigured, Rasa's structured log prints every parsed message: held-out texts
    # would scroll past whoever runs the evaluation, and sets meant to stay unseen be seen.
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model_path))
    loop = asyncio.new_event_loop()

    def parse(text: str) -> Mapping[str, Any]:
        return loop.run_until_complete(agent.parse_message(text))

    return parse


# Held-out questions beyond the knowledge (issue #9): unrelated requests, and questions
# about certificates and topics that the knowledge does not hold.
OUT_OF_SCOPE_SET = PROJECT_ROOT / "tests" / "nlu" / "out_of_scope.yml"
# Written apart and never read while tuning. The development sets were read while tuning
# the scope words: look at failures there, measure here.
UNKNOWN_SET = PROJECT_ROOT / "tests" / "nlu" / "unknown.yml"
UNKNOWN_DEVELOPMENT_SETS = tuple(PROJECT_ROOT / "tests" / "nlu" / name
                                 for name in ("unknown_dev.yml", "unknown_dev2.yml"))


def is_knowledge_answer(response: str) -> bool:
    """Whether a response answers from the knowledge or starts a lookup: wrong for a request
    that has nothing to do with certificates."""
    return response.startswith((FAQ_PREFIX, CATALOG_PREFIX, UNLISTED, UNCOVERED, ASK_WHICH_CATALOG_ENTRY,
                                LOOKUP_FORM))


@dataclass
class ScopeReport:
    """Counts of how a held-out set beyond the knowledge was answered."""

    total: int = 0
    right: int = 0  # declined (out of scope) or answered honestly (unknown)
    wrong: int = 0  # a certificate answer to an unrelated request; another entry's answer
    failures: list[str] = field(default_factory=list)

    @property
    def right_rate(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.total if self.total else 0.0


def evaluate_out_of_scope(texts: list[str], parse: ParseFunction, dialogue: Dialogue) -> ScopeReport:
    """Unrelated requests: right when declined, wrong when answered from the knowledge."""
    report = ScopeReport()
    for text in texts:
        response, _ = answer_to(dialogue, parse(text))
        report.total += 1
        if response == OUT_OF_SCOPE:
            report.right += 1
        elif is_knowledge_answer(response):
            report.wrong += 1
            report.failures.append(f"answered {text!r} with {response}")
    return report


@dataclass(frozen=True)
class UnknownQuestion:
    text: str
    names: str | None = None  # unlisted: the words that name the job or certificate
    entry: str | None = None  # uncovered: the catalog entry named, if any
    topic: str | None = None  # uncovered: the topic asked about


def load_unknown(path: Path = UNKNOWN_SET) -> dict[str, list[UnknownQuestion]]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        "unlisted": [UnknownQuestion(item["text"], names=item["names"]) for item in data["unlisted"]],
        "uncovered": [UnknownQuestion(item["text"], entry=item.get("entry"), topic=item.get("topic"))
                      for item in data["uncovered"]],
    }


def evaluate_unlisted(questions: list[UnknownQuestion], parse: ParseFunction, dialogue: Dialogue) -> ScopeReport:
    """Right when the answer says the knowledge has no entry and names what was asked; wrong
    when another entry answers."""
    report = ScopeReport()
    for question in questions:
        response, values = answer_to(dialogue, parse(question.text))
        report.total += 1
        asked, named = normalize_phrase(question.names or ""), normalize_phrase(values.get("name", ""))
        if response.startswith(UNLISTED) and named and (asked in named or named in asked):
            report.right += 1
            continue
        if response.startswith(CATALOG_PREFIX):
            report.wrong += 1
        report.failures.append(f"{question.text!r} ({question.names}): {response} {values or ''}")
    return report


def evaluate_uncovered(questions: list[UnknownQuestion], parse: ParseFunction, dialogue: Dialogue) -> ScopeReport:
    """Right when the answer says the knowledge does not hold the topic (or, for a question
    that names no entry, when it is the FAQ answer that says so in general); wrong when it
    answers a different aspect of the named entry."""
    general = {topic.id: topic.answered_in_general_by for topic in dialogue.kb.scope.uncovered_topics}
    report = ScopeReport()
    for question in questions:
        response, _ = answer_to(dialogue, parse(question.text))
        report.total += 1
        honest = UNCOVERED in response.split(" + ") or (
            question.entry is None and response in {faq_response(f) for f in general.get(question.topic or "", ())})
        if honest:
            report.right += 1
            continue
        if response.startswith(CATALOG_PREFIX):
            report.wrong += 1
        report.failures.append(f"{question.text!r} ({question.entry}, {question.topic}): {response}")
    return report
