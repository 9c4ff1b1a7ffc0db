"""The real-question set (tests/real_questions/): questions people posted on public pages,
labelled by LABELLING.md, and how an answer to one is graded: right, hedged or wrong."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue.answering import Dialogue, Reply
from bot.knowledge.response_names import (
    CATALOG_PREFIX,
    ENTRY_GENERAL,
    FAQ_PREFIX,
    KIND_PREFIX,
    OUT_OF_SCOPE,
    UNCOVERED,
    UNLISTED,
    UNLISTED_ABROAD,
)
from bot.knowledge.routing import ANSWER_ACTION, route_table
from bot.settings import PROJECT_ROOT
from bot.text import DEFAULT_LANGUAGE, detect_language, normalize_phrase
from bot.understanding.gate import Findings
from tests.evaluation import ParseFunction

REAL_SETS = {name: PROJECT_ROOT / "tests" / "real_questions" / f"{name}.yml" for name in ("tune", "heldout")}
# Second labellings of samples of the tuning questions, made blind to the first, by the same
# rules (before and after LABELLING.md settled the cases they split on): how far two
# labellers agree (bench/label_agreement.py).
SECOND_LABELLINGS = tuple(PROJECT_ROOT / "tests" / "real_questions" / f"{name}.yml"
                          for name in ("second_labeller", "second_labeller_settled"))
ASPECTS = frozenset({
    "what_is", "needed", "qualification_vs_licence", "types_levels", "validity", "expiry_renewal", "registration",
    "reexamination", "verify", "obtain", "issuer", "value", "reform_cancellation", "recognition", "scams",
    "fees", "dates", "places", "results",
})
KINDS = frozenset({"post_competency", "professional_qualification", "practice_qualification", "skill_level",
                   "industry_access", "catalog"})
DECLINED_SUBJECTS = frozenset({"other_certificate", "unrelated"})
# The responses that answer from the knowledge (or say honestly that it holds nothing).
KNOWLEDGE_ANSWERS = (CATALOG_PREFIX, FAQ_PREFIX, KIND_PREFIX, UNLISTED, UNCOVERED, ENTRY_GENERAL)
# What each general answer (an FAQ entry) answers, by aspect.
FAQ_ASPECTS: Mapping[str, frozenset[str]] = {
    "what_is_a_qualification_certificate": frozenset({"what_is"}),
    "certificate_types": frozenset({"types_levels"}),
    # It says what each of the two is.
    "certificate_vs_practice_license": frozenset({"qualification_vs_licence", "registration", "what_is"}),
    "expiry_and_renewal": frozenset({"validity", "expiry_renewal", "reexamination"}),
    "how_to_obtain": frozenset({"obtain", "scams", "fees", "dates"}),
    "jobs_requiring_certificate": frozenset({"needed"}),
    "reform_social_evaluation": frozenset({"reform_cancellation"}),
    "verify_authenticity": frozenset({"verify", "scams"}),
    "who_issues_certificates": frozenset({"issuer"}),
    "career_benefits": frozenset({"value"}),
    "why_certificates_matter": frozenset({"value"}),
    "post_competency_certificate": frozenset({"what_is", "recognition", "issuer", "value"}),
    "job_entry_permit": frozenset({"what_is", "recognition", "issuer"}),
    "vocational_qualification_catalog": frozenset({"what_is", "types_levels", "needed", "issuer"}),
    "access_type_skilled_qualifications": frozenset({"what_is", "types_levels", "needed"}),
    "catalog_changes_2021": frozenset({"reform_cancellation", "what_is"}),
}
# What each aspect of a catalog answer answers.
CATALOG_ASPECTS: Mapping[str, frozenset[str]] = {
    "needed": frozenset({"needed"}),
    "expiry": frozenset({"validity", "expiry_renewal"}),
    "verify": frozenset({"verify"}),
    "overview": frozenset({"what_is"}),
}
# A certificate word at the end of a name.
_CERTIFICATE_WORD = re.compile(r"\s*(证书|证件|证|licen[cs]es?|certificates?|certifications?)$")
# Aspects no entry holds: saying so honestly ("not covered: ask ...") is right.
UNCOVERED_ASPECTS = frozenset({"fees", "dates", "places", "results", "recognition", "registration",
                               "reexamination", "types_levels"})


@dataclass(frozen=True)
class RealQuestion:
    text: str
    language: str
    url: str
    subject: str
    aspects: tuple[str, ...]


def load_real_set(path: Path) -> list[RealQuestion]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [RealQuestion(str(item["q"]), item["lang"], item["url"], item["subject"], tuple(item["aspects"]))
            for item in items]


def label_problems(question: RealQuestion, catalog_ids: set[str]) -> list[str]:
    """What is wrong with a question's label, by the rules of LABELLING.md."""
    problems = []
    subject = question.subject
    kind, _, name = subject.partition(":")
    if not (subject in catalog_ids or subject == "general" or subject in DECLINED_SUBJECTS
            or (kind == "kind" and name in KINDS) or (kind == "unlisted" and name.strip())):
        problems.append(f"unknown subject {subject!r}")
    if unknown := set(question.aspects) - ASPECTS:
        problems.append(f"unknown aspect(s) {sorted(unknown)}")
    if (subject in DECLINED_SUBJECTS) != (not question.aspects):
        problems.append("other_certificate and unrelated have no aspects; every other subject has one or two")
    if question.language not in ("en", "zh") or not question.url.startswith("http"):
        problems.append("needs lang en or zh and the url it was seen on")
    return problems


def reply_to(dialogue: Dialogue, parsed: Mapping[str, Any]) -> Reply:
    """What the assistant answers to a parsed message at the start of a conversation."""
    intent = str((parsed.get("intent") or {}).get("name"))
    route = route_table(dialogue.kb).get(intent)
    if route is None or route.action != ANSWER_ACTION:
        return Reply(route.action if route else intent, "route")
    language = detect_language(str(parsed.get("text") or "")) or DEFAULT_LANGUAGE
    return dialogue.answer(parsed, None, language)


def _part_answers(part: Reply, asked: set[str]) -> tuple[str | None, frozenset[str]]:
    """Whom one part of an answer is about (a catalog id; "general"; "unlisted"; None for an
    uncovered topic in general) and which asked aspects it answers."""
    response = part.response
    if response.startswith(CATALOG_PREFIX):
        entry_id, _, aspect = response.removeprefix(CATALOG_PREFIX).rpartition("__")
        # An entry's own fact on one aspect (its `facts`) is named after the aspect.
        return entry_id, CATALOG_ASPECTS.get(aspect, frozenset({aspect}) & ASPECTS)
    if response.startswith(f"{ENTRY_GENERAL}__"):
        # The general rule, said to be general, about this entry's certificate.
        return part.answered_by, FAQ_ASPECTS.get(response.removeprefix(f"{ENTRY_GENERAL}__"), frozenset())
    if response.startswith(FAQ_PREFIX):
        return "general", FAQ_ASPECTS.get(response.removeprefix(FAQ_PREFIX), frozenset())
    if response.startswith(KIND_PREFIX):
        # All our sources say a kind is: one of the four kinds, and their example of it.
        return f"kind:{response.removeprefix(KIND_PREFIX)}", frozenset({"what_is"})
    if response.startswith(f"{UNLISTED}__"):
        return "unlisted", FAQ_ASPECTS.get(response.removeprefix(f"{UNLISTED}__"), frozenset())
    if response in (UNLISTED, UNLISTED_ABROAD):
        # "no entry for it: ask its issuer" ("... the authority where you work") answers any aspect honestly.
        return "unlisted", frozenset(asked)
    if response == UNCOVERED:
        entry = part.answered_by if part.answered_by not in ("uncovered", "") else None
        return entry, frozenset(asked & UNCOVERED_ASPECTS)
    return None, frozenset()


def grade(question: RealQuestion, reply: Reply) -> str:
    """right: the subject and every aspect asked are answered (or honestly not covered), in
    one part of the answer or another; hedged: "did you mean", or only part of what was
    asked, or a general answer without the line about the specific case; wrong: anything
    else, or any part about another subject."""
    parts = reply.parts()
    asked = set(question.aspects)
    knowledge_answer = any(part.response.startswith(KNOWLEDGE_ANSWERS) for part in parts)
    if question.subject in DECLINED_SUBJECTS:
        return "right" if reply.response == OUT_OF_SCOPE else "wrong" if knowledge_answer else "hedged"
    if not knowledge_answer:
        return "wrong" if reply.response == OUT_OF_SCOPE else "hedged"
    kind, _, name = question.subject.partition(":")
    covered: set[str] = set()
    only_in_general: set[str] = set()
    named_unlisted = False
    for part in parts:
        subject, answered = _part_answers(part, asked)
        answered = answered & asked
        if subject == "unlisted" and kind == "kind":
            # A certificate of that kind that has no entry (焊工证, a special operation): "no
            # entry for it" is the honest line about the specific case, and answers nothing.
            if part.response in (UNLISTED, UNLISTED_ABROAD):
                continue
        elif subject == "unlisted":
            named, wanted = _bare_name(part.values.get("name", "")), _bare_name(name)
            if kind != "unlisted" or not named or not (named in wanted or wanted in named):
                return "wrong"  # "no entry for X" about a job we have, or the wrong name
            named_unlisted = True
        elif subject not in (None, "general", question.subject):
            return "wrong"  # another entry's answer
        elif subject == "general" and question.subject not in ("general",) and kind != "kind":
            only_in_general |= answered
        covered |= answered
    if not covered:
        return "wrong"
    if kind == "unlisted" and not named_unlisted:
        return "hedged"  # the general rule, without saying that there is no entry for it
    if question.subject not in ("general",) and kind not in ("kind", "unlisted") and \
            only_in_general - {a for part in parts for a in _own_aspects(part, question.subject, asked)}:
        return "hedged"  # a general answer without the line about this entry
    return "right" if covered == asked else "hedged"


def _bare_name(name: str) -> str:
    """A name without its certificate word, which either side may leave out: "八大员证" is
    named by "建筑施工八大员"."""
    normalized = normalize_phrase(name)
    return _CERTIFICATE_WORD.sub("", normalized) or normalized


def _own_aspects(part: Reply, subject: str, asked: set[str]) -> frozenset[str]:
    """The aspects a part answers about the question's own entry."""
    part_subject, answered = _part_answers(part, asked)
    return answered if part_subject == subject else frozenset()


@dataclass
class RealReport:
    counts: dict[str, int] = field(default_factory=lambda: {"right": 0, "hedged": 0, "wrong": 0})
    failures: list[str] = field(default_factory=list)
    # Of the certificate questions (not other certificates, not unrelated requests): how many
    # had exactly their labelled aspects read (bot.understanding.aspects), to tell a misreading
    # from a wrong answer to a question read right.
    read_questions: int = 0
    read_exactly: int = 0
    # Why each answer that was not right went wrong (failure_cause), counted: where to look
    # next, measurable on the held-out third without reading it.
    causes: Counter[str] = field(default_factory=Counter)

    @property
    def aspects_read_rate(self) -> float:
        return self.read_exactly / self.read_questions if self.read_questions else 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rate(self, grade_name: str) -> float:
        return self.counts[grade_name] / self.total if self.total else 0.0


def failure_cause(question: RealQuestion, parsed: Mapping[str, Any], reply: Reply) -> str:
    """The first step at which an answer that was not right went astray: the route, the
    subject understood, the aspects read, or the answer composed from them."""
    if question.subject in DECLINED_SUBJECTS:
        return f"{question.subject} not declined"
    if reply.response == OUT_OF_SCOPE:
        return "certificate question declined"
    found = Findings.of(parsed)
    if found is None or not any(part.response.startswith(KNOWLEDGE_ANSWERS) for part in reply.parts()):
        return f"no answer ({reply.response})"
    kind, _, name = question.subject.partition(":")
    if kind == "unlisted":
        if found.entry:
            return "subject: an entry for an unlisted name"
        if not found.unlisted:
            return "subject: unlisted name not found"
    elif kind == "kind":
        if found.entry:
            return "subject: an entry for a kind"
        if found.kind != name and name != "catalog":
            return "subject: kind not read"
    elif question.subject == "general":
        if found.entry or found.unlisted:
            return "subject: an entry or name in a general question"
    elif found.entry != question.subject:
        return "subject: another entry or none"
    if set(found.aspects) != set(question.aspects):
        return "aspects misread"
    return "answer composed wrong"


def evaluate_real(questions: list[RealQuestion], parse: ParseFunction, dialogue: Dialogue) -> dict[str, RealReport]:
    """Grades each question's answer; reports by language."""
    reports: dict[str, RealReport] = {}
    for question in questions:
        parsed = parse(question.text)
        reply = reply_to(dialogue, parsed)
        verdict = grade(question, reply)
        report = reports.setdefault(question.language, RealReport())
        report.counts[verdict] += 1
        if question.subject not in DECLINED_SUBJECTS:
            found = Findings.of(parsed)
            report.read_questions += 1
            report.read_exactly += found is not None and set(found.aspects) == set(question.aspects)
        if verdict != "right":
            report.causes[f"{verdict}: {failure_cause(question, parsed, reply)}"] += 1
            answered = " + ".join(f"{part.response} {part.values or ''}".strip() for part in reply.parts())
            report.failures.append(f"{verdict:6} {question.text!r} ({question.subject} {list(question.aspects)}): "
                                   f"{answered}")
    return reports
