"""The knowledge base as typed, validated objects. `load_knowledge` builds them from files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

# Text in several languages, keyed by language code: {"en": "...", "zh": "..."}.
Localized = Mapping[str, str]
LocalizedList = Mapping[str, tuple[str, ...]]

# The parts of a catalog entry a question can ask about.
ASPECTS = ("needed", "expiry", "verify", "overview")
# "industry_requirements": the sources say only that the industry has clear qualification
# requirements, not which certificate a job needs.
MANDATORY_VALUES = ("yes", "no", "unknown", "industry_requirements")
PROFESSION_ALIAS, CERTIFICATE_ALIAS = "profession", "certificate"
ALIAS_KINDS = (PROFESSION_ALIAS, CERTIFICATE_ALIAS)
# The entity label of a name that contains an alias but means another job (瑜伽老师).
OTHER_JOB = "other_job"


@dataclass(frozen=True)
class Source:
    """A document answers rest on (in knowledge/sources/), or the certificate database."""

    id: str
    file: str | None  # None: the certificate database, which has no document to quote
    title: Localized


@dataclass(frozen=True)
class FaqEntry:
    """A frequently asked question with its answer and the ways people phrase it."""

    id: str
    file: str
    question: Localized
    answer: Localized
    phrasings: LocalizedList
    sources: tuple[str, ...]
    reviewed: date
    authority: Localized | None
    # When set, a question that also names a catalog entry is answered from that entry's
    # aspect instead (e.g. "does a tour guide certificate expire?" -> expiry of tour_guide).
    catalog_aspect: str | None
    # An invitation after the answer ("Name your certificate ..."), only where the answer
    # stands alone: not after "I have no entry for X", nor after a lookup's result.
    follow_up: Localized | None = None


@dataclass(frozen=True)
class CatalogEntry:
    """One certificate type and the profession that needs it."""

    id: str
    file: str
    title: Localized
    profession: Localized
    certificate: Localized
    category: str | None  # None: the sources do not say which kind of certificate it is
    mandatory: str
    note: Localized | None
    validity: Localized | None
    # How to check one is genuine; None: the general methods (answer_templates.yml's
    # verify_general), with the sources' silence about this certificate said plainly.
    verify: Localized | None
    ask: Localized | None
    # language -> alias kind ("profession" or "certificate") -> aliases
    aliases: Mapping[str, Mapping[str, tuple[str, ...]]]
    sources: tuple[str, ...]
    reviewed: date
    # language -> names that contain an alias but mean another job (瑜伽老师, "patent attorney")
    not_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The entry's own fact on an aspect of knowledge/aspects.yml ("issuer": who implements it),
    # answered instead of the general rule.
    facts: Mapping[str, Localized] = field(default_factory=dict)
    # aspect (needed, expiry, ...) -> language -> ways people asked about this entry in
    # particular, accepted from the review queue (`python -m bot review accept`).
    phrasings: Mapping[str, LocalizedList] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogQuestion:
    """A kind of question about one catalog entry: an intent and the aspect answering it."""

    intent: str
    aspect: str
    phrasings: LocalizedList


@dataclass(frozen=True)
class AnswerTemplates:
    category_clause: Localized
    source_line: Localized
    source_line_with_authority: Localized
    default_ask: Localized
    needed: Mapping[str, Localized]
    expiry_stated: Localized
    expiry_not_stated: Localized
    verify: Localized
    verify_general: Localized
    overview: Localized
    mandatory_summary: Mapping[str, Localized]
    ask_which: Localized
    reviewed: date


# Replies to a certificate status lookup, by result, in knowledge/lookup_replies.yml.
LOOKUP_REPLY_KEYS = (
    "valid", "expiring", "expired", "suspended", "revoked", "not_found", "locked_out", "client_limited",
    "unavailable",
    "service_unavailable", "long_term", "invalid_number", "invalid_name",
)
LOOKUP_PLACEHOLDERS = frozenset(
    {"holder", "certificate", "issuer", "issued_on", "valid_until", "expired_days", "max_failures", "window_hours",
     "lookups_per_hour"}
)


@dataclass(frozen=True)
class LookupReply:
    text: Localized
    then_faq: str | None  # an FAQ entry whose answer follows the text
    # What a reply that states a fact rests on (the certificate database, the source of a
    # caveat), shown in its source line with `reviewed`; empty for a prompt or a refusal.
    sources: tuple[str, ...] = ()
    reviewed: date = date.min


@dataclass(frozen=True)
class UncoveredTopic:
    """A topic no entry holds (exam fees, dates ...), and the words that ask about it."""

    id: str
    name: Localized
    words: LocalizedList
    # FAQ entries whose answer already covers the topic when no entry is named.
    answered_in_general_by: tuple[str, ...]


# The replies of knowledge/scope.yml.
SCOPE_REPLY_KEYS = ("unlisted", "unlisted_general_rule", "where_to_check", "uncovered", "uncovered_subject",
                    "entry_general_rule", "abroad", "kind_what_is")
# Those sent as an answer of their own, which end with a source line like every answer.
STANDALONE_SCOPE_REPLIES = ("uncovered", "abroad", "kind_what_is")


@dataclass(frozen=True)
class Scope:
    """How questions beyond the knowledge are recognised and answered (knowledge/scope.yml)."""

    domain_words: LocalizedList
    qualification_words: LocalizedList
    unrelated_words: LocalizedList
    # Licences of the domain whose names hold one of unrelated_words (无人机驾驶证: 驾驶证).
    work_licences: LocalizedList
    holder_words: LocalizedList
    certificate_words: LocalizedList
    not_certificate_words: LocalizedList
    # Words that speak of certificates without naming one (考证, 挂证).
    certificate_acts: LocalizedList
    # Words of an exam and of applying for one (报名, "exam").
    exam_words: LocalizedList
    job_words: LocalizedList
    job_nouns: LocalizedList
    not_job_nouns: LocalizedList
    # Words in front of a certificate word that describe it rather than name it (纸质证书).
    not_names: LocalizedList
    name_boundaries: LocalizedList
    # Places outside China, and words that say the question is about China after all.
    abroad_words: LocalizedList
    home_words: LocalizedList
    uncovered_topics: tuple[UncoveredTopic, ...]
    replies: Mapping[str, Localized]
    # What the replies that state a fact rest on, by reply (shown in their source lines).
    reply_sources: Mapping[str, tuple[str, ...]]
    reviewed: date


@dataclass(frozen=True)
class AspectRule:
    """One thing a question can ask about a certificate (knowledge/aspects.yml), its cue
    words, and what answers it: a catalog entry's own answer, a general rule (an FAQ entry),
    or "not covered" (a topic of scope.yml)."""

    id: str
    cues: LocalizedList
    weak: bool = False
    catalog: str | None = None
    general: str | None = None
    uncovered: str | None = None
    # Other FAQ entries that answer it too (the general rule is `general`).
    also: tuple[str, ...] = ()
    # Read alone, it may stand for something the cues missed: the classifiers' answer on
    # another aspect wins ("what is the significance of certificates" asks about value).
    vague: bool = False
    # Cues that ask exactly this aspect, though it is vague: a comparison ("区别", "same as")
    # asks what each one is, whatever the classifiers' answer.
    firm_cues: LocalizedList = field(default_factory=dict)
    # How a "did you mean" button asks it about one certificate ("How long is {certificate}
    # valid?"); an aspect without one is never offered.
    question: Localized | None = None

    def answered_by_faq(self, faq_id: str) -> bool:
        return faq_id == self.general or faq_id in self.also


@dataclass(frozen=True)
class KindRule:
    """A kind of certificate (the national catalog, post competency ...), its cue words, and
    the FAQ entry that answers each aspect about it (the others get the general rule)."""

    id: str
    cues: LocalizedList
    answers: Mapping[str, str]
    # The kind is the subject even when the question names a catalog entry too.
    before_entries: bool = False
    # Other FAQ entries that answer questions about the kind too.
    also: tuple[str, ...] = ()
    # One of the four kinds of categories.yml, with the example our sources give of it:
    # "what is it" is answered with what they say of it, and no more.
    category: str | None = None
    example: Localized | None = None
    # Everyday names of certificates of this kind that have no entry (焊工证): read as the
    # kind, and the answer says first that there is no entry for them.
    members: LocalizedList = field(default_factory=dict)


@dataclass(frozen=True)
class Aspects:
    """knowledge/aspects.yml: how a question's aspects and kind of certificate are read."""

    aspects: tuple[AspectRule, ...]
    kinds: tuple[KindRule, ...]
    # Words for qualifications in general (资格证书, 职业资格): "what is" of a message naming two
    # kinds of certificate, one of which may be these, asks about the types.
    general_kinds: LocalizedList = field(default_factory=dict)

    def rule(self, aspect_id: str) -> AspectRule:
        return next(rule for rule in self.aspects if rule.id == aspect_id)

    def kind(self, kind_id: str) -> KindRule:
        return next(kind for kind in self.kinds if kind.id == kind_id)


@dataclass(frozen=True)
class KnowledgeBase:
    sources: Mapping[str, Source]
    categories: Mapping[str, Localized]
    faq: tuple[FaqEntry, ...]
    catalog: tuple[CatalogEntry, ...]
    questions: tuple[CatalogQuestion, ...]
    templates: AnswerTemplates
    lookup_replies: Mapping[str, LookupReply]
    # Greetings, help, small talk and the lookup's questions, by reply name.
    conversation_replies: Mapping[str, Localized]
    scope: Scope
    aspects: Aspects

    def faq_entry(self, entry_id: str) -> FaqEntry:
        """Returns the FAQ entry with this id; raises KeyError if there is none."""
        for entry in self.faq:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    def catalog_entry(self, entry_id: str) -> CatalogEntry:
        """Returns the catalog entry with this id; raises KeyError if there is none."""
        for entry in self.catalog:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    def question_for_intent(self, intent: str) -> CatalogQuestion:
        """Returns the catalog question type trained as this intent; KeyError if none."""
        for question in self.questions:
            if question.intent == intent:
                return question
        raise KeyError(intent)
