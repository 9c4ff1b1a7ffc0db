"""Loads `knowledge/` and validates it, reporting every mistake with file, entry and field."""

from __future__ import annotations

import contextlib
import re
import string
import threading
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.errors import KnowledgeError, Problem
from bot.knowledge.evidence import check_evidence, read_documents
from bot.knowledge.model import (
    ALIAS_KINDS,
    ASPECTS,
    LOOKUP_PLACEHOLDERS,
    LOOKUP_REPLY_KEYS,
    MANDATORY_VALUES,
    SCOPE_REPLY_KEYS,
    STANDALONE_SCOPE_REPLIES,
    AnswerTemplates,
    AspectRule,
    Aspects,
    CatalogEntry,
    CatalogQuestion,
    FaqEntry,
    KindRule,
    KnowledgeBase,
    Localized,
    LocalizedList,
    LookupReply,
    Scope,
    Source,
    UncoveredTopic,
)
from bot.knowledge.reviews import review_problems
from bot.settings import current_settings
from bot.text import LANGUAGES, fold_lines, normalize_phrase

MIN_PHRASINGS = 12
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# Characters that Rasa's training-data format or response templating would misread.
RESERVED_CHARACTERS = re.compile(r"[\[\]{}]")

FAQ_FIELDS = {"id", "reviewed", "sources", "question", "answer", "phrasings", "authority", "catalog_aspect",
              "follow_up", "evidence"}
CATALOG_FIELDS = {
    "id", "reviewed", "sources", "category", "mandatory", "title", "profession",
    "certificate", "note", "validity", "verify", "ask", "aliases", "not_aliases", "evidence", "facts",
    "phrasings",
}
# The fields of a catalog entry that state a fact, when present: each needs evidence.
CATALOG_FACTS = ("certificate", "category", "mandatory", "note", "validity", "verify")
# The templates that state a fact of their own (a caveat, a general rule): each needs evidence.
TEMPLATE_FACTS = ("verify", "verify_general", "expiry.not_stated", "overview")
TEMPLATE_PLACEHOLDERS = {
    "title", "profession", "certificate", "category", "category_clause", "note", "validity", "verify", "ask",
    "mandatory_summary", "expiry", "titles", "sources", "authority", "reviewed",
}
QUESTION_PLACEHOLDERS = {"profession", "certificate"}


def placeholders(text: str) -> set[str]:
    """The {names} used in a template string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class _Fields:
    """Reads the fields of one entry, recording a Problem for each mistake instead of raising."""

    def __init__(self, data: Mapping[str, Any], file: str, entry: str, problems: list[Problem]):
        self.data = data
        self.file = file
        self.entry = entry
        self.problems = problems

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.entry, field, message))

    def reject_unknown(self, allowed: set[str]) -> None:
        for field in sorted(set(self.data) - allowed):
            self.problem(str(field), f"unknown field (expected one of: {', '.join(sorted(allowed))})")

    def identifier(self, field: str) -> str:
        value = self.data.get(field)
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.problem(field, "must be lower-case letters, digits and underscores, starting with a letter")
            return ""
        return value

    def choice(self, field: str, allowed: Iterable[str], required: bool = True) -> str | None:
        allowed = tuple(allowed)
        value = self.data.get(field)
        if value is None and not required:
            return None
        if value not in allowed:
            shown = "missing" if value is None else f"{value!r} is not allowed"
            self.problem(field, f"{shown}; use one of: {', '.join(allowed)}")
            return None
        return str(value)

    def reviewed_date(self, field: str = "reviewed") -> date:
        value = self.data.get(field)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value)
        if not isinstance(value, date):
            self.problem(field, f"{value!r} is not a date in the form YYYY-MM-DD")
            return date.min
        if value > date.today():
            self.problem(field, f"{value.isoformat()} is in the future")
        return value

    def missing_languages(self, field: str, value: Mapping[str, Any], what: str) -> None:
        for language in LANGUAGES:
            if language not in value:
                self.problem(field, f"has no '{language}' {what}; every text needs {' and '.join(LANGUAGES)}")

    def text(self, field: str, required: bool = True) -> Localized | None:
        value = self.data.get(field)
        if value is None:
            if required:
                self.problem(field, "missing")
            return None
        if not isinstance(value, Mapping):
            self.problem(field, "must map a language code to text, e.g. `en: ...`")
            return None
        result: dict[str, str] = {}
        for language, text in value.items():
            where = f"{field}.{language}"
            if language not in LANGUAGES:
                self.problem(where, f"unknown language; use one of: {', '.join(LANGUAGES)}")
            elif not isinstance(text, str) or not text.strip():
                self.problem(where, "must be non-empty text")
            else:
                result[language] = fold_lines(text)
        self.missing_languages(field, value, "text")
        return result

    def text_list(self, field: str, minimum: int) -> LocalizedList:
        value = self.data.get(field)
        if not isinstance(value, Mapping):
            self.problem(field, "must map a language code to a list of texts")
            return {}
        result: dict[str, tuple[str, ...]] = {}
        for language, items in value.items():
            where = f"{field}.{language}"
            if language not in LANGUAGES:
                self.problem(where, f"unknown language; use one of: {', '.join(LANGUAGES)}")
                continue
            result[language] = self.strings(where, items, minimum)
        self.missing_languages(field, value, "list")
        return result

    def strings(self, where: str, items: Any, minimum: int) -> tuple[str, ...]:
        if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
            self.problem(where, "must be a list of non-empty texts")
            return ()
        texts = tuple(fold_lines(item) for item in items)
        if len(texts) < minimum:
            self.problem(where, f"has {len(texts)} item(s); at least {minimum} are needed")
        seen: set[str] = set()
        for text in texts:
            key = normalize_phrase(text)
            if key in seen:
                self.problem(where, f"{text!r} is listed twice")
            seen.add(key)
        return texts

    def references(self, field: str, known: Mapping[str, object]) -> tuple[str, ...]:
        value = self.data.get(field)
        if not isinstance(value, list) or not value:
            self.problem(field, "must be a non-empty list of source ids")
            return ()
        for ref in value:
            if ref not in known:
                self.problem(field, f"unknown source {ref!r}; sources.yml defines: {', '.join(known)}")
        return tuple(str(ref) for ref in value)


def _relative(path: Path, root: Path) -> str:
    """A path as reviewers see it: relative to the folder that holds the knowledge base."""
    return str(path.relative_to(root.parent))


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    relative = _relative(path, root)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(relative, "", "", "file is missing"))
    except UnicodeDecodeError as error:
        problems.append(Problem(relative, "", "", f"is not UTF-8 text ({error.reason})"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        problems.append(Problem(relative, "", "", f"is not valid YAML{line}: {reason}"))
    return None


def _load_sources(root: Path, problems: list[Problem]) -> dict[str, Source]:
    file = _relative(root / "sources.yml", root)
    data = _read_yaml(root / "sources.yml", root, problems)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        problems.append(Problem(file, "", "", "must map source ids to sources"))
        return {}
    sources: dict[str, Source] = {}
    for source_id, body in data.items():
        fields = _Fields(body if isinstance(body, Mapping) else {}, file, str(source_id), problems)
        fields.reject_unknown({"file", "title", "database"})
        document = fields.data.get("file")
        database = fields.data.get("database") is True
        if database and document is not None:
            fields.problem("file", "the certificate database has no document: remove `file` or `database`")
        elif not database and (not isinstance(document, str) or not document):
            fields.problem("file", "missing: name the source document in knowledge/sources/")
            continue
        title = fields.text("title")
        if title is not None:
            sources[str(source_id)] = Source(str(source_id), None if database else str(document), title)
    return sources


def _load_categories(root: Path, problems: list[Problem]) -> dict[str, Localized]:
    file = _relative(root / "categories.yml", root)
    data = _read_yaml(root / "categories.yml", root, problems)
    if not isinstance(data, Mapping):
        if data is not None:
            problems.append(Problem(file, "", "", "must map category ids to names"))
        return {}
    categories: dict[str, Localized] = {}
    for category_id, names in data.items():
        fields = _Fields({"name": names}, file, str(category_id), problems)
        text = fields.text("name")
        if text is not None:
            categories[str(category_id)] = text
    return categories


def _entry_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))


def _entry_data(path: Path, root: Path, problems: list[Problem]) -> Mapping[str, Any] | None:
    data = _read_yaml(path, root, problems)
    if data is None:
        return None
    if not isinstance(data, Mapping):
        problems.append(Problem(_relative(path, root), "", "", "must hold one entry as a mapping of fields"))
        return None
    return data


def _check_id(fields: _Fields, path: Path) -> str:
    entry_id = fields.identifier("id")
    if entry_id and entry_id != path.stem:
        fields.problem("id", f"is '{entry_id}' but the file is named '{path.name}'; they must match")
    return entry_id


def _load_faq(root: Path, sources: Mapping[str, Source], documents: Mapping[str, str],
              problems: list[Problem]) -> list[FaqEntry]:
    entries = []
    for path in _entry_files(root / "faq"):
        data = _entry_data(path, root, problems)
        if data is None:
            continue
        fields = _Fields(data, _relative(path, root), str(data.get("id", path.stem)), problems)
        fields.reject_unknown(FAQ_FIELDS)
        entry = FaqEntry(
            id=_check_id(fields, path),
            file=fields.file,
            question=fields.text("question") or {},
            answer=fields.text("answer") or {},
            phrasings=fields.text_list("phrasings", MIN_PHRASINGS),
            sources=fields.references("sources", sources),
            reviewed=fields.reviewed_date(),
            authority=fields.text("authority", required=False),
            catalog_aspect=fields.choice("catalog_aspect", ASPECTS, required=False),
            follow_up=fields.text("follow_up", required=False),
        )
        for language, text in [*entry.answer.items(), *(entry.follow_up or {}).items()]:
            if RESERVED_CHARACTERS.search(text):
                fields.problem(f"answer.{language}", "must not contain [ ] { } (Rasa reads them as markup)")
        check_evidence(data.get("evidence"), file=fields.file, entry=fields.entry, stated=["answer"],
                       allowed=["answer", "follow_up"], cited=entry.sources, documents=documents, problems=problems)
        entries.append(entry)
    if not entries:
        problems.append(Problem(_relative(root / "faq", root), "", "", "holds no FAQ entries"))
    return entries


def _load_aliases(fields: _Fields) -> dict[str, dict[str, tuple[str, ...]]]:
    field = "aliases"
    value = fields.data.get(field)
    if not isinstance(value, Mapping):
        fields.problem(field, "must map a language code to {profession: [...], certificate: [...]}")
        return {}
    fields.missing_languages(field, value, "aliases")
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    for language, kinds in value.items():
        if language not in LANGUAGES:
            fields.problem(f"{field}.{language}", f"unknown language; use one of: {', '.join(LANGUAGES)}")
            continue
        if not isinstance(kinds, Mapping) or set(kinds) != set(ALIAS_KINDS):
            fields.problem(f"{field}.{language}", "must have exactly the keys profession and certificate")
            continue
        result[language] = {
            kind: fields.strings(f"{field}.{language}.{kind}", kinds[kind], 1) for kind in ALIAS_KINDS
        }
    return result


def _load_not_aliases(fields: _Fields) -> dict[str, tuple[str, ...]]:
    """Names that contain one of the entry's aliases but mean another job (瑜伽老师 is no 教师)."""
    value = fields.data.get("not_aliases")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        fields.problem("not_aliases", "must map a language code to a list of names")
        return {}
    for language in set(value) - set(LANGUAGES):
        fields.problem(f"not_aliases.{language}", f"unknown language; use one of: {', '.join(LANGUAGES)}")
    return {str(language): fields.strings(f"not_aliases.{language}", names, 1) for language, names in value.items()
            if language in LANGUAGES}


def _load_facts(fields: _Fields) -> dict[str, Localized]:
    """A catalog entry's own facts by aspect (which aspects exist is checked with aspects.yml)."""
    raw = fields.data.get("facts")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        fields.problem("facts", "must map an aspect of aspects.yml to a text in each language")
        return {}
    facts = _Fields(raw, fields.file, fields.entry, fields.problems)
    return {str(aspect): facts.text(str(aspect)) or {} for aspect in raw}


def _load_entry_phrasings(fields: _Fields) -> dict[str, LocalizedList]:
    """A catalog entry's own phrasings: aspect -> language -> texts (any language may be missing)."""
    raw = fields.data.get("phrasings")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        fields.problem("phrasings", f"must map an aspect ({', '.join(ASPECTS)}) to lists of texts by language")
        return {}
    phrasings: dict[str, LocalizedList] = {}
    for aspect, by_language in raw.items():
        where = f"phrasings.{aspect}"
        if aspect not in ASPECTS:
            fields.problem(where, f"unknown aspect; use one of: {', '.join(ASPECTS)}")
            continue
        if not isinstance(by_language, Mapping) or set(by_language) - set(LANGUAGES):
            fields.problem(where, f"must map a language ({', '.join(LANGUAGES)}) to a list of texts")
            continue
        phrasings[str(aspect)] = {str(language): fields.strings(f"{where}.{language}", texts, 1)
                                  for language, texts in by_language.items()}
        for language, texts in phrasings[str(aspect)].items():
            for text in texts:
                if RESERVED_CHARACTERS.search(text):
                    fields.problem(f"{where}.{language}", f"{text!r} contains [ ] {{ or }}, which Rasa misreads")
    return phrasings


def _load_catalog(
    root: Path, sources: Mapping[str, Source], categories: Mapping[str, Localized], documents: Mapping[str, str],
    problems: list[Problem],
) -> list[CatalogEntry]:
    entries = []
    for path in _entry_files(root / "catalog"):
        data = _entry_data(path, root, problems)
        if data is None:
            continue
        fields = _Fields(data, _relative(path, root), str(data.get("id", path.stem)), problems)
        fields.reject_unknown(CATALOG_FIELDS)
        entry = CatalogEntry(
            id=_check_id(fields, path),
            file=fields.file,
            title=fields.text("title") or {},
            profession=fields.text("profession") or {},
            certificate=fields.text("certificate") or {},
            category=fields.choice("category", categories, required=False),
            mandatory=fields.choice("mandatory", MANDATORY_VALUES) or "unknown",
            note=fields.text("note", required=False),
            validity=fields.text("validity", required=False),
            verify=fields.text("verify", required=False),
            ask=fields.text("ask", required=False),
            aliases=_load_aliases(fields),
            not_aliases=_load_not_aliases(fields),
            sources=fields.references("sources", sources),
            reviewed=fields.reviewed_date(),
            facts=_load_facts(fields),
            phrasings=_load_entry_phrasings(fields),
        )
        facts = [f"facts.{aspect}" for aspect in entry.facts]
        check_evidence(data.get("evidence"), file=fields.file, entry=fields.entry,
                       stated=[*(field for field in CATALOG_FACTS if data.get(field) is not None), *facts],
                       allowed=[*CATALOG_FACTS, "title", "profession", "ask", *facts], cited=entry.sources,
                       documents=documents, problems=problems)
        entries.append(entry)
    if not entries:
        problems.append(Problem(_relative(root / "catalog", root), "", "", "holds no catalog entries"))
    return entries


def _load_questions(root: Path, problems: list[Problem]) -> list[CatalogQuestion]:
    file = _relative(root / "catalog_questions.yml", root)
    data = _read_yaml(root / "catalog_questions.yml", root, problems)
    if not isinstance(data, Mapping):
        if data is not None:
            problems.append(Problem(file, "", "", "must map intent names to questions"))
        return []
    questions = []
    for intent, body in data.items():
        fields = _Fields(body if isinstance(body, Mapping) else {}, file, str(intent), problems)
        fields.reject_unknown({"aspect", "phrasings"})
        if not ID_PATTERN.match(str(intent)):
            fields.problem("", "intent names must be lower-case letters, digits and underscores")
        aspect = fields.choice("aspect", ASPECTS)
        phrasings = fields.text_list("phrasings", MIN_PHRASINGS)
        for language, texts in phrasings.items():
            for text in texts:
                names = placeholders(text)
                if not names:
                    fields.problem(f"phrasings.{language}", f"{text!r} has no {{profession}} or {{certificate}}")
                elif names - QUESTION_PLACEHOLDERS:
                    unknown = ", ".join(sorted(names - QUESTION_PLACEHOLDERS))
                    fields.problem(f"phrasings.{language}", f"{text!r} uses unknown placeholder(s): {unknown}")
        if aspect:
            questions.append(CatalogQuestion(str(intent), aspect, phrasings))
    return questions


def _load_templates(root: Path, documents: Mapping[str, str], problems: list[Problem]) -> AnswerTemplates:
    file = _relative(root / "answer_templates.yml", root)
    data = _read_yaml(root / "answer_templates.yml", root, problems)
    data = data if isinstance(data, Mapping) else {}

    def section(key: str) -> Mapping[str, Any]:
        value = data.get(key)
        return value if isinstance(value, Mapping) else {}

    needed, expiry, summary = section("needed"), section("expiry"), section("mandatory_summary")

    def template(section: str, key: str, body: Mapping[str, Any]) -> Localized:
        fields = _Fields(body, file, section, problems)
        text = fields.text(key) or {}
        for language, value in text.items():
            unknown = placeholders(value) - TEMPLATE_PLACEHOLDERS
            if unknown:
                fields.problem(f"{key}.{language}", f"unknown placeholder(s): {', '.join(sorted(unknown))}")
        return text

    names = ["category_clause", "source_line", "source_line_with_authority", "default_ask", "verify",
             "verify_general", "overview", "ask_which", "expiry.stated", "expiry.not_stated",
             *(f"{section}.{value}" for section in ("needed", "mandatory_summary") for value in MANDATORY_VALUES)]
    check_evidence(data.get("evidence"), file=file, entry="", stated=TEMPLATE_FACTS, allowed=names, cited=None,
                   documents=documents, problems=problems)
    return AnswerTemplates(
        category_clause=template("", "category_clause", data),
        source_line=template("", "source_line", data),
        source_line_with_authority=template("", "source_line_with_authority", data),
        default_ask=template("", "default_ask", data),
        needed={value: template("needed", value, needed) for value in MANDATORY_VALUES},
        expiry_stated=template("expiry", "stated", expiry),
        expiry_not_stated=template("expiry", "not_stated", expiry),
        verify=template("", "verify", data),
        verify_general=template("", "verify_general", data),
        overview=template("", "overview", data),
        mandatory_summary={value: template("mandatory_summary", value, summary) for value in MANDATORY_VALUES},
        ask_which=template("", "ask_which", data),
        reviewed=_Fields(data, file, "", problems).reviewed_date(),
    )


def _load_lookup_replies(root: Path, faq: list[FaqEntry], sources: Mapping[str, Source],
                         documents: Mapping[str, str], problems: list[Problem]) -> dict[str, LookupReply]:
    file = _relative(root / "lookup_replies.yml", root)
    data = _read_yaml(root / "lookup_replies.yml", root, problems)
    data = data if isinstance(data, Mapping) else {}
    reviewed = _Fields(data, file, "", problems).reviewed_date()
    faq_ids = {entry.id for entry in faq}
    replies: dict[str, LookupReply] = {}
    for key in sorted(set(data) - set(LOOKUP_REPLY_KEYS) - {"reviewed"}):
        problems.append(Problem(file, str(key), "", f"unknown reply; expected: {', '.join(LOOKUP_REPLY_KEYS)}"))
    for key in LOOKUP_REPLY_KEYS:
        body = data.get(key)
        if not isinstance(body, Mapping):
            problems.append(Problem(file, key, "", "missing" if body is None else "must map languages to text"))
            continue
        fields = _Fields(body, file, key, problems)
        fields.reject_unknown({*LANGUAGES, "then_faq", "sources", "evidence"})
        # A reply holds its text per language directly, beside `then_faq`.
        languages = {language: value for language, value in fields.data.items() if language in LANGUAGES}
        text = _Fields({"": languages}, file, key, problems).text("") or {}
        for language, value in text.items():
            unknown = placeholders(value) - LOOKUP_PLACEHOLDERS
            if unknown:
                fields.problem(language, f"unknown placeholder(s): {', '.join(sorted(unknown))}")
        then_faq = fields.data.get("then_faq")
        if then_faq is not None and then_faq not in faq_ids:
            fields.problem("then_faq", f"{then_faq!r} is not an FAQ entry id")
        reply_sources = fields.references("sources", sources) if "sources" in fields.data else ()
        evidence = fields.data.get("evidence")
        check_evidence({"text": evidence} if evidence is not None else {}, file=file, entry=key,
                       stated=["text"] if any(ref in documents for ref in reply_sources) else [],
                       allowed=["text"], cited=reply_sources, documents=documents, problems=problems)
        replies[key] = LookupReply(text, then_faq if then_faq in faq_ids else None, reply_sources, reviewed)
    return replies


def _load_conversation_replies(root: Path, problems: list[Problem]) -> dict[str, Localized]:
    file = _relative(root / "conversation_replies.yml", root)
    data = _read_yaml(root / "conversation_replies.yml", root, problems)
    if not isinstance(data, Mapping):
        if data is not None:
            problems.append(Problem(file, "", "", "must map reply names to texts"))
        return {}
    replies: dict[str, Localized] = {}
    for key, body in data.items():
        fields = _Fields({"text": body}, file, str(key), problems)
        if not ID_PATTERN.match(str(key)):
            fields.problem("", "reply names must be lower-case letters, digits and underscores")
        replies[str(key)] = fields.text("text") or {}
    return replies


def _read_mapping(root: Path, name: str, problems: list[Problem]) -> tuple[str, Any]:
    """A file of the knowledge that is one mapping (scope.yml, aspects.yml): its name and data."""
    file = _relative(root / name, root)
    data = _read_yaml(root / name, root, problems)
    if not isinstance(data, Mapping):
        problems.append(Problem(file, "", "", "missing or not a mapping"))
        return file, {}
    return file, data


def _certificate_question(fields: _Fields) -> Localized | None:
    """An aspect's button question: about one certificate, named by {certificate}."""
    question = fields.text("question", required=False)
    for language, text in (question or {}).items():
        if text.count("{certificate}") != 1 or re.search(r"{(?!certificate})", text):
            fields.problem(f"question.{language}", f"{text!r} must name {{certificate}} once, and nothing else")
    return question


def _faq_references(fields: _Fields, field: str, faq_ids: set[str]) -> tuple[str, ...]:
    references = tuple(str(ref) for ref in fields.data.get(field) or ())
    for ref in references:
        if ref not in faq_ids:
            fields.problem(field, f"{ref!r} is not an FAQ entry id")
    return references


def _load_scope(root: Path, sources: Mapping[str, Source], documents: Mapping[str, str],
                problems: list[Problem]) -> Scope:
    file, data = _read_mapping(root, "scope.yml", problems)
    fields = _Fields(data, file, "", problems)
    fields.reject_unknown({"domain_words", "qualification_words", "unrelated_words", "work_licences", "holder_words",
                           "certificate_words", "not_certificate_words", "certificate_acts", "exam_words",
                           "job_words", "job_nouns", "not_job_nouns",
                           "not_names", "name_boundaries", "abroad_words", "home_words",
                           "uncovered_topics", "replies", "reply_sources", "evidence",
                           "reviewed"})
    topics = []
    raw_topics = data.get("uncovered_topics")
    if not isinstance(raw_topics, Mapping) or not raw_topics:
        fields.problem("uncovered_topics", "must map topic ids to a name and words")
        raw_topics = {}
    for topic_id, body in raw_topics.items():
        topic = _Fields(body if isinstance(body, Mapping) else {}, file, f"uncovered_topics.{topic_id}", problems)
        topic.reject_unknown({"name", "words", "answered_in_general_by"})
        general = tuple(str(ref) for ref in topic.data.get("answered_in_general_by") or ())
        topics.append(UncoveredTopic(str(topic_id), topic.text("name") or {}, topic.text_list("words", 1), general))
    replies = _Fields(data.get("replies") if isinstance(data.get("replies"), Mapping) else {}, file, "replies",
                      problems)
    replies.reject_unknown(set(SCOPE_REPLY_KEYS))
    raw_sources = data.get("reply_sources") if isinstance(data.get("reply_sources"), Mapping) else {}
    cited = _Fields(raw_sources, file, "reply_sources", problems)
    cited.reject_unknown(set(SCOPE_REPLY_KEYS))
    reply_sources = {str(key): cited.references(str(key), sources) for key in raw_sources}
    for key in STANDALONE_SCOPE_REPLIES:
        if not reply_sources.get(key):
            cited.problem(key, "a reply sent on its own names the documents it rests on (source ids of sources.yml)")
    check_evidence(data.get("evidence"), file=file, entry="replies",
                   stated=[key for key, refs in reply_sources.items() if any(ref in documents for ref in refs)],
                   allowed=SCOPE_REPLY_KEYS, cited={ref for refs in reply_sources.values() for ref in refs},
                   documents=documents, problems=problems)
    return Scope(
        domain_words=fields.text_list("domain_words", 1),
        qualification_words=fields.text_list("qualification_words", 1),
        unrelated_words=fields.text_list("unrelated_words", 1),
        work_licences=fields.text_list("work_licences", 0),
        holder_words=fields.text_list("holder_words", 1),
        certificate_words=fields.text_list("certificate_words", 1),
        not_certificate_words=fields.text_list("not_certificate_words", 0),
        certificate_acts=fields.text_list("certificate_acts", 0),
        exam_words=fields.text_list("exam_words", 0),
        job_words=fields.text_list("job_words", 1),
        job_nouns=fields.text_list("job_nouns", 0),
        not_job_nouns=fields.text_list("not_job_nouns", 0),
        not_names=fields.text_list("not_names", 0),
        name_boundaries=fields.text_list("name_boundaries", 1),
        abroad_words=fields.text_list("abroad_words", 1),
        home_words=fields.text_list("home_words", 1),
        uncovered_topics=tuple(topics),
        replies={key: replies.text(key) or {} for key in SCOPE_REPLY_KEYS},
        reply_sources=reply_sources,
        reviewed=fields.reviewed_date(),
    )


def _load_aspects(root: Path, faq: list[FaqEntry], entries: list[CatalogEntry], scope: Scope,
                  categories: Mapping[str, Localized], documents: Mapping[str, str],
                  problems: list[Problem]) -> Aspects:
    """knowledge/aspects.yml: every FAQ entry, catalog aspect, topic and category it names
    must exist, and a kind's example must be quoted from a source."""
    file, data = _read_mapping(root, "aspects.yml", problems)
    top = _Fields(data, file, "", problems)
    top.reject_unknown({"aspects", "kinds", "general_kinds"})
    # By file name, so that an FAQ file that fails to load is reported once, not here too.
    faq_ids = {entry.id for entry in faq} | {path.stem for path in _entry_files(root / "faq")}
    topic_ids = {topic.id for topic in scope.uncovered_topics}
    rules = []
    for aspect_id, body in (data.get("aspects") or {}).items():
        fields = _Fields(body if isinstance(body, Mapping) else {}, file, f"aspects.{aspect_id}", problems)
        fields.reject_unknown({"weak", "vague", "catalog", "general", "uncovered", "cues", "firm_cues", "also",
                               "question"})
        also = _faq_references(fields, "also", faq_ids)
        catalog = fields.choice("catalog", ASPECTS, required=False)
        general = fields.choice("general", faq_ids, required=False)
        uncovered = fields.choice("uncovered", topic_ids, required=False)
        if not (catalog or general or uncovered):
            fields.problem("general", "needs what answers it: catalog, general or uncovered")
        rules.append(AspectRule(str(aspect_id), fields.text_list("cues", 1), bool(fields.data.get("weak")),
                                catalog, general, uncovered, also, vague=bool(fields.data.get("vague")),
                                firm_cues=fields.text_list("firm_cues", 0) if "firm_cues" in fields.data else {},
                                question=_certificate_question(fields)))
    kinds = []
    for kind_id, body in (data.get("kinds") or {}).items():
        fields = _Fields(body if isinstance(body, Mapping) else {}, file, f"kinds.{kind_id}", problems)
        fields.reject_unknown({"cues", "members", "answers", "before_entries", "also", "category", "example",
                               "evidence"})
        kind_also = _faq_references(fields, "also", faq_ids)
        raw_answers = fields.data.get("answers")
        answers: Mapping[str, Any] = raw_answers if isinstance(raw_answers, Mapping) else {}
        known = {rule.id for rule in rules}
        for aspect, ref in answers.items():
            if aspect not in known:
                fields.problem(f"answers.{aspect}", "is not an aspect of this file")
            if ref not in faq_ids:
                fields.problem(f"answers.{aspect}", f"{ref!r} is not an FAQ entry id")
        category = fields.choice("category", categories, required=False)
        example = fields.text("example", required=category is not None)
        check_evidence(fields.data.get("evidence"), file=file, entry=f"kinds.{kind_id}",
                       stated=["example"] if example else [], allowed=["example"], cited=None,
                       documents=documents, problems=problems)
        kinds.append(KindRule(str(kind_id), fields.text_list("cues", 1), {str(k): str(v) for k, v in answers.items()},
                              bool(fields.data.get("before_entries")), kind_also, category, example,
                              fields.text_list("members", 0) if "members" in fields.data else {}))
    if not rules:
        problems.append(Problem(file, "aspects", "", "lists no aspect"))
    aspect_ids = {rule.id for rule in rules}
    for entry in entries:
        for aspect in entry.facts:
            if aspect not in aspect_ids:
                problems.append(Problem(entry.file, entry.id, f"facts.{aspect}", f"not an aspect of {file}"))
    return Aspects(tuple(rules), tuple(kinds), top.text_list("general_kinds", 1))


def _check_unique(
    problems: list[Problem], items: Iterable[tuple[str, str, str, str]], what: str
) -> None:
    """Reports keys claimed by two entries. Items are (key, file, entry, field)."""
    owners: dict[str, tuple[str, str, str]] = {}
    for key, file, entry, field in items:
        if key in owners and owners[key][0] != file:
            other_file, other_entry, _ = owners[key]
            problems.append(
                Problem(file, entry, field, f"{what} {key!r} is also used by entry '{other_entry}' ({other_file})")
            )
        owners.setdefault(key, (file, entry, field))


def _check_cross_entry(faq: list[FaqEntry], catalog: list[CatalogEntry], problems: list[Problem]) -> None:
    _check_unique(
        problems,
        [(e.id, e.file, e.id, "id") for e in faq] + [(e.id, e.file, e.id, "id") for e in catalog],
        "id",
    )
    _check_unique(
        problems,
        (
            (normalize_phrase(text), e.file, e.id, f"phrasings.{language}")
            for e in faq
            for language, texts in e.phrasings.items()
            for text in texts
        ),
        "phrasing",
    )
    _check_unique(
        problems,
        (
            (normalize_phrase(alias), e.file, e.id, f"aliases.{language}.{kind}")
            for e in catalog
            for language, kinds in e.aliases.items()
            for kind, aliases in kinds.items()
            for alias in aliases
        ),
        "alias",
    )


def _check_general_phrasings(kb: KnowledgeBase, problems: list[Problem]) -> None:
    """An FAQ entry with a `catalog_aspect` is the general question ("does a certificate
    expire?"); the same question about one job is a catalog question, which the compiler
    generates from catalog_questions.yml. Training both on it teaches the model nothing."""
    from bot.knowledge.mentions import MentionFinder  # built from the loaded catalog

    mentions = MentionFinder(kb)
    for entry in kb.faq:
        if not entry.catalog_aspect:
            continue
        for language, texts in entry.phrasings.items():
            for text in texts:
                named = mentions.from_text(text)
                if named:
                    problems.append(Problem(entry.file, entry.id, f"phrasings.{language}", (
                        f"{text!r} names the catalog entry '{named}'; questions about one job belong in "
                        "catalog_questions.yml")))


def _check_entry_phrasings(kb: KnowledgeBase, problems: list[Problem]) -> None:
    """A catalog entry's own phrasing must name that entry: the assistant tells whom a
    question is about from the names in it, not from the phrasing it learnt."""
    from bot.knowledge.mentions import MentionFinder  # built from the loaded catalog

    mentions = MentionFinder(kb)
    for entry in kb.catalog:
        for aspect, by_language in entry.phrasings.items():
            for language, texts in by_language.items():
                for text in texts:
                    named = mentions.from_text(text)
                    if named != entry.id:
                        problems.append(Problem(entry.file, entry.id, f"phrasings.{aspect}.{language}", (
                            f"{text!r} names " + (f"the catalog entry '{named}'" if named else "none of its aliases")
                            + "; add the name people used to `aliases`, or the phrasing to the entry it names")))


def _check_scope_references(kb: KnowledgeBase, problems: list[Problem]) -> None:
    faq_ids = {entry.id for entry in kb.faq}
    for topic in kb.scope.uncovered_topics:
        for ref in topic.answered_in_general_by:
            if ref not in faq_ids:
                problems.append(Problem("scope.yml", f"uncovered_topics.{topic.id}", "answered_in_general_by",
                                        f"{ref!r} is not an FAQ entry id"))


def load_knowledge(root: Path, check_reviews: bool = True) -> KnowledgeBase:
    """Loads and validates the knowledge base in `root`; with `check_reviews`, also that no
    text changed after its recorded review (bot.knowledge.reviews).

    Raises:
        KnowledgeError: listing every problem found, each with file, entry and field.
    """
    problems: list[Problem] = []
    if not root.is_dir():
        raise KnowledgeError([Problem(str(root), "", "", "knowledge folder not found")])
    sources = _load_sources(root, problems)
    documents = read_documents(root, sources, problems)
    categories = _load_categories(root, problems)
    faq = _load_faq(root, sources, documents, problems)
    catalog = _load_catalog(root, sources, categories, documents, problems)
    questions = _load_questions(root, problems)
    templates = _load_templates(root, documents, problems)
    lookup_replies = _load_lookup_replies(root, faq, sources, documents, problems)
    conversation_replies = _load_conversation_replies(root, problems)
    scope = _load_scope(root, sources, documents, problems)
    aspects = _load_aspects(root, faq, catalog, scope, categories, documents, problems)
    _check_cross_entry(faq, catalog, problems)
    if problems:
        raise KnowledgeError(problems)
    kb = KnowledgeBase(
        sources=sources,
        categories=categories,
        faq=tuple(faq),
        catalog=tuple(catalog),
        questions=tuple(questions),
        templates=templates,
        lookup_replies=lookup_replies,
        conversation_replies=conversation_replies,
        scope=scope,
        aspects=aspects,
    )
    _check_general_phrasings(kb, problems)
    _check_entry_phrasings(kb, problems)
    _check_scope_references(kb, problems)
    if check_reviews:
        problems.extend(review_problems(kb, root))
    if problems:
        raise KnowledgeError(problems)
    return kb


class KnowledgeWatcher:
    """The knowledge base in `root`, read again only when one of its files changed (the
    staff console, whose decisions change it while it runs)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._loaded: tuple[tuple[tuple[str, int, int], ...], KnowledgeBase] | None = None

    def current(self) -> KnowledgeBase:
        with self._lock:
            version = tuple(sorted((str(path), path.stat().st_mtime_ns, path.stat().st_size)
                                   for path in self.root.rglob("*") if path.is_file()))
            if self._loaded is None or self._loaded[0] != version:
                self._loaded = (version, load_knowledge(self.root, check_reviews=False))
            return self._loaded[1]


@lru_cache(maxsize=1)
def current_knowledge() -> KnowledgeBase:
    """The knowledge base of this process's settings, loaded and validated once per process
    (the Rasa server's gate and channels, the action server's dialogue share it)."""
    return load_knowledge(current_settings().knowledge_dir)
