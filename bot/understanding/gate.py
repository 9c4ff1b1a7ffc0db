"""The domain gate: the NLU's last word on scope, after the classifiers, and what it found.

It finds, once per message, what the dialogue needs to know beyond the intent (`Findings`):
the catalog entry the message names, a certificate or job it names that the catalog lacks,
a topic no entry holds, and whether it is about qualification certificates at all. The Rasa
server's pipeline puts them in the parsed message (bot.server.components.domain_gate), and
the action server answers from them (bot.dialogue.answering) without working them out again.

With them it decides the intent: a message that names no catalog entry becomes
`out_of_scope` when it is a certificate question (or not understood) with nothing of the
domain in it, and `ask_unlisted` when it asks about a certificate or job the catalog lacks,
whatever it was classified as: the classifiers know only the jobs they were trained on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.certificates.model import is_valid_number, normalize_number
from bot.knowledge.mentions import MentionFinder
from bot.knowledge.model import ALIAS_KINDS, KnowledgeBase
from bot.knowledge.routing import (
    BOT_CHALLENGE_INTENT,
    CANCEL_INTENT,
    DETAILS_INTENT,
    LOOKUP_INTENT,
    NLU_FALLBACK_INTENT,
    OUT_OF_SCOPE_INTENT,
    QUESTION_INTENT,
    UNLISTED_INTENT,
    knowledge_intents,
)
from bot.text import normalize_phrase
from bot.understanding.aspects import JOB_VERB, AspectReader
from bot.understanding.scope import ARTICLES, Relatedness, ScopeFinder

# The key of the findings in a parsed message (Rasa's parse data, the tracker's latest message).
FINDINGS_KEY = "scope"
# Aspects that are about certificates whatever else the message says (knowledge/aspects.yml).
_CERTIFICATE_ASPECTS = frozenset({"scams", "reexamination", "qualification_vs_licence"})
# What anything named by an acronym may be asked about ("how much is a cab from JFK"): asked
# about an acronym, they do not make it a certificate.
_EVERYDAY_ASPECTS = frozenset({"fees", "dates", "places", "results"})
# What a certificate lookup tells: whether one certificate is genuine and valid.
_STATUS_ASPECTS = frozenset({"verify", "validity", "expiry_renewal"})
# A question ("招标师证取消了吗"), not a request to cancel.
_QUESTION = re.compile(r"[?？吗么呢]|是不是|有没有")


@dataclass(frozen=True)
class Findings:
    """What the gate found in a message, beyond its intent.

    Attributes:
        entry: the id of the catalog entry the message names.
        unlisted: the name of a certificate or job it asks about that the catalog lacks
            (looked for only when it names no entry).
        unknown: its longest Chinese noun that the knowledge never uses, most likely a job,
            for a question about one job that names neither an entry nor an unlisted name.
        uncovered: the id of the topic of knowledge/scope.yml it asks about (fees, dates ...).
        relatedness: what it has of the domain (Relatedness.unrelated decides).
        aspects: what it asks about, in the order asked (knowledge/aspects.yml).
        kind: the kind of certificate it names (knowledge/aspects.yml's kinds), if any.
        abroad: whether it asks about somewhere outside China; then `unlisted` is what it
            names there ("electricians" in "do electricians need a license in all states?").
    """

    entry: str | None
    unlisted: str | None
    unknown: str | None
    uncovered: str | None
    relatedness: Relatedness
    aspects: tuple[str, ...] = ()
    kind: str | None = None
    abroad: bool = False
    # Those of the aspects asked exactly (a comparison asks what each is), though vague.
    firm: tuple[str, ...] = ()
    # For a message the gate made a question about aspects: the intent it would have had.
    classified: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, message: Mapping[str, Any]) -> Findings | None:
        """The findings a parsed message carries; None for a message the gate never saw (a
        payload such as a button's, which skips the NLU)."""
        found = message.get(FINDINGS_KEY)
        if not isinstance(found, Mapping) or not isinstance(found.get("relatedness"), Mapping):
            return None
        return cls(entry=found.get("entry"), unlisted=found.get("unlisted"), unknown=found.get("unknown"),
                   uncovered=found.get("uncovered"), relatedness=Relatedness(**found["relatedness"]),
                   aspects=tuple(found.get("aspects") or ()), kind=found.get("kind"),
                   abroad=bool(found.get("abroad")), firm=tuple(found.get("firm") or ()),
                   classified=found.get("classified"))

    @classmethod
    def named_by_payload(cls, entry: str | None) -> Findings:
        """What a payload's entities say: the entry they name, and nothing else."""
        return cls(entry=entry, unlisted=None, unknown=None, uncovered=None,
                   relatedness=Relatedness(domain_word=True, trade=False, other_meaning=False))


@dataclass(frozen=True)
class Verdict:
    """The gate's decision on one message: its intent, and the findings when it looked."""

    intent: str
    findings: Findings | None


class DomainGate:
    """Decides a message's scope after the classifiers, from knowledge/scope.yml."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.mentions = MentionFinder(kb)
        self.scope = ScopeFinder(kb)
        self.reader = AspectReader(kb)
        self.kb_aspects = kb.aspects
        self._gated = {*knowledge_intents(kb), LOOKUP_INTENT, NLU_FALLBACK_INTENT}
        # Intents a question about an unlisted certificate may be mistaken for; the lookup
        # too, unless it says whose certificate it is ("check my forklift licence").
        # "招标师证取消了吗" asks whether it was abolished, not to cancel; "收纳师证是国家认证
        # 的吗" is not asking whether this is a bot.
        self._may_be_unlisted = {*knowledge_intents(kb), NLU_FALLBACK_INTENT, OUT_OF_SCOPE_INTENT, "help",
                                 LOOKUP_INTENT, CANCEL_INTENT, BOT_CHALLENGE_INTENT}
        # The intents whose messages the gate looks into (the dialogue answers what they become).
        self.considered = self._gated | self._may_be_unlisted
        self._naming_intent, self._naming_frames = _naming_frames(kb)

    def findings(self, message: Mapping[str, Any]) -> Findings:
        """Everything the dialogue may need to know about a message, found once."""
        text = str(message.get("text") or "")
        entry = self.mentions.find(message)
        unlisted = None if entry else self.mentions.other_job(text) or self.scope.unlisted_name(text)
        # (Looked for only where a word is in capitals: naming an entry is the common case.)
        if entry and self.scope.writes_an_acronym(text) and (named := self.scope.unlisted_name(text)) \
                and _names_an_acronym(text, named) and self.mentions.from_text(named) is None:
            # "Can I teach in China without a TEFL?" asks about TEFL, which no entry holds.
            entry, unlisted = None, named
        topic = self.scope.uncovered_topic(text)
        reading = self.reader.read(text, unlisted)
        if (entry or unlisted) and self.scope.abroad(text):
            # The knowledge covers China only: what it holds on the entry is not the answer.
            return Findings(entry=None, unlisted=unlisted or _named_entry_text(message, entry), unknown=None,
                            uncovered=None, relatedness=self.scope.relatedness(text), aspects=reading.aspects,
                            abroad=True)
        return Findings(entry=entry, unlisted=unlisted,
                        unknown=None if entry or unlisted else self.scope.unknown_words(text),
                        uncovered=topic.id if topic else None, relatedness=self.scope.relatedness(text),
                        aspects=reading.aspects, kind=reading.kind, firm=reading.firm)

    def decide(self, intent: str, message: Mapping[str, Any], found: Findings | None = None) -> Verdict:
        """The message's intent after the gate, with the findings it looked at (`found`, when
        they are known already)."""
        text = str(message.get("text") or "")
        if _is_bare_certificate_number(text):
            # "DEMO-EXPIRED-0001" is a detail for the lookup, whatever words it contains.
            return Verdict(DETAILS_INTENT, None)
        if intent == DETAILS_INTENT and _only_names(message):
            # 「二建」 alone names the entry (a holder's name is typed into the lookup, not this).
            found = found or self.findings(message)
            if found.entry:
                return Verdict(self._naming_intent, found)
        if intent not in self.considered:
            return Verdict(intent, None)
        found = found or self.findings(message)
        if found.abroad and not found.relatedness.unrelated(classified_unrelated=intent == OUT_OF_SCOPE_INTENT):
            return Verdict(UNLISTED_INTENT, found)
        decided = self._intent(intent, message, found)
        if self._asks_about(intent, text, found):
            # The answer the classifiers lead to stands where it answers what was asked
            # (bot.dialogue.answering), so it is kept.
            return Verdict(QUESTION_INTENT, replace(found, classified=decided))
        return Verdict(decided, found)

    def _intent(self, intent: str, message: Mapping[str, Any], found: Findings) -> str:
        text = str(message.get("text") or "")
        if found.entry:
            # "what about lawyers?" is one of the knowledge's own phrasings that only name an
            # entry, whatever the classifiers made of it (some trainings call it unrelated);
            # so is a job we hold named as a qualification (「执业助理医师能否开诊所」).
            if _with_named_entry_marked(message) in self._naming_frames or _only_names(message) or (
                    intent == OUT_OF_SCOPE_INTENT and self._as_a_qualification(text)):
                return self._naming_intent
            return intent
        if found.relatedness.unrelated(classified_unrelated=intent == OUT_OF_SCOPE_INTENT):
            return OUT_OF_SCOPE_INTENT if intent in self._gated else intent
        if intent == LOOKUP_INTENT and self.scope.names_a_holder(text):
            return intent
        if intent == CANCEL_INTENT and not _QUESTION.search(text):
            return intent  # "cancel, I don't want to check the scaffolding licence" cancels
        if intent in self._may_be_unlisted and found.unlisted:
            return UNLISTED_INTENT
        return intent

    def _asks_about(self, intent: str, text: str, found: Findings) -> bool:
        """Whether the message asks about certificates in words the aspects know: then it is
        answered aspect by aspect, whatever the classifiers made of it ("Pay someone to take
        your exam?" is not asking whether this is a bot)."""
        if not (found.aspects or found.kind):
            return False
        # An acronym asked about ("Is CFA worth it?") names a certificate by itself; not when
        # the question is about a fee or a time ("how much is a cab from JFK").
        acronym = found.unlisted is not None and _names_an_acronym(text, found.unlisted) and not (
            set(found.aspects) & _EVERYDAY_ASPECTS)
        if intent == OUT_OF_SCOPE_INTENT and not (found.kind or acronym) and all(
                self._weak(aspect) and not self.kb_aspects.rule(aspect).vague for aspect in found.aspects) and not (
                found.entry and self._as_a_qualification(text)):
            # "I need a lawyer for my divorce": "need" alone asks nothing, unless of a certificate
            # ("Can I teach in China without a TEFL?", 「电工无证上岗会怎么处罚」); "what is" does.
            return False
        if found.relatedness.other_meaning and not found.entry and not (
                acronym and not self.scope.means_another_certificate(str(found.unlisted))
                and not all(self.kb_aspects.rule(aspect).vague for aspect in found.aspects)):
            # 「windows许可证快过期了」: another kind of certificate; a TEFL asked about
            # beside a visa is still a certificate of the domain ("do I need a TEFL for a Z visa?"),
            # but not "what is" an acronym beside one ("what's the APR on my Visa").
            return False
        # A trade without an entry asked about as a trade is asked ("护师报名年限怎么算",
        # 「中级经济师以考代评是怎么回事」), not for a time or a price ("理发师多少钱") unless of
        # its exam (「监理工程师报名费多少」).
        exam = self.scope.names_an_exam(text)
        trade = found.relatedness.trade and found.unlisted is not None and any(
            (not self._weak(aspect) or self.kb_aspects.rule(aspect).vague)
            and (aspect not in _EVERYDAY_ASPECTS or exam) for aspect in found.aspects)
        if not (found.entry or found.kind):
            if found.relatedness.unrelated(classified_unrelated=intent == OUT_OF_SCOPE_INTENT) and not (
                    acronym or trade):
                return False
            # In general, a question about certificates says so (「研究生考试有岁数要求吗」 does
            # not), unless what it asks is about certificates by itself (「替考有什么风险」).
            if not (found.unlisted or self.scope.names_a_certificate(text)
                    or set(found.aspects) & _CERTIFICATE_ASPECTS):
                return False
        if intent == LOOKUP_INTENT:
            # "check my licence" is a lookup; so are "is this certificate genuine?" and
            # 「帮我看看证书还有效没」, which name no kind of certificate.
            named = found.entry or found.kind or found.unlisted
            return not (self.scope.names_a_holder(text) or set(found.aspects) <= {"verify"}
                        or (not named and set(found.aspects) <= _STATUS_ASPECTS))
        if intent == CANCEL_INTENT:
            return bool(_QUESTION.search(text))
        return True

    def _as_a_qualification(self, text: str) -> bool:
        """Whether a job is named as a qualification: with a word of qualifications
        (「执业助理医师能否开诊所」), or as doing it ("can I teach in China with a diploma?"),
        not as someone to hire ("I need a lawyer for my divorce")."""
        return self.scope.names_a_qualification(text) or bool(JOB_VERB.search(normalize_phrase(text)))

    def _weak(self, aspect: str) -> bool:
        return self.kb_aspects.rule(aspect).weak


def _names_an_acronym(text: str, name: str) -> bool:
    """Whether the name is an acronym the message writes in capitals (CFA, CELTA, TEFL)."""
    return any(re.search(rf"(?<![A-Za-z]){re.escape(word.upper())}(?![A-Za-z])", text)
               for word in name.split() if 3 <= len(word) <= 6 and word.isascii() and word.isalpha())


def _is_bare_certificate_number(text: str) -> bool:
    number = normalize_number(text)
    return is_valid_number(number) and any(character.isdigit() for character in number)


# Stands for the named job or certificate when a message is compared with the knowledge's
# phrasings that only name one ("what about {profession}").
_NAMED = " namedentry "


def _naming_frames(kb: KnowledgeBase) -> tuple[str, set[str]]:
    """The catalog question that only names an entry (the "overview" one, which continues the
    conversation's topic), and its phrasings with the placeholder marked."""
    question = next(question for question in kb.questions if question.aspect == "overview")
    placeholder = re.compile("|".join(re.escape(f"{{{kind}}}") for kind in ALIAS_KINDS))
    frames = {_frame(placeholder.sub(_NAMED, phrasing))
              for phrasings in question.phrasings.values() for phrasing in phrasings}
    return question.intent, frames


def _frame(text: str) -> str:
    """A phrasing compared without its articles: "how about lawyers" is "how about the CPA"."""
    return " ".join(word for word in normalize_phrase(text).split() if word not in ARTICLES)


def _with_named_entry_marked(message: Mapping[str, Any]) -> str | None:
    """The text with its first recognised job or certificate replaced by the mark."""
    text = str(message.get("text") or "")
    for entity in message.get("entities") or []:
        start, end = entity.get("start"), entity.get("end")
        if entity.get("entity") in ALIAS_KINDS and isinstance(start, int) and isinstance(end, int):
            return _frame(text[:start] + _NAMED + text[end:])
    return None


# A message that only names a job or certificate, with the words that carry a follow-up
# (「那保安」, 「导游嘞」, "and lawyers?"); matched with its spaces taken out.
_ONLY_NAMED = re.compile(rf"(那么|那|还有|and|whatabout|howabout)?{_NAMED.strip()}(呢|嘞|咧|呀|啊|吧|嘛|么|哦|的话)?")


def _only_names(message: Mapping[str, Any]) -> bool:
    marked = _with_named_entry_marked(message)
    return marked is not None and bool(_ONLY_NAMED.fullmatch(marked.replace(" ", "")))


def _named_entry_text(message: Mapping[str, Any], entry: str | None) -> str:
    """The words of the message that named the entry (its first profession or certificate
    entity), or the entry's id when no entity marks them."""
    text = str(message.get("text") or "")
    for entity in message.get("entities") or []:
        if entity.get("entity") in ALIAS_KINDS and isinstance(entity.get("start"), int):
            return text[entity["start"] : entity["end"]]
    return (entry or "").replace("_", " ")
