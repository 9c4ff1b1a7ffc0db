"""Decides how the assistant answers a parsed message. The Rasa actions are thin wrappers
around these methods; everything here works on plain dicts, so it is tested without Rasa.

What the message names and asks beyond its intent (an entry, an unlisted certificate, a
topic the knowledge lacks) comes with it: the domain gate found it in the Rasa server
(bot.understanding.gate.Findings)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.knowledge.mentions import MentionFinder
from bot.knowledge.model import CERTIFICATE_ALIAS, CatalogEntry, KindRule, KnowledgeBase, LocalizedList, UncoveredTopic
from bot.knowledge.response_names import (
    ASK_WHICH_CATALOG_ENTRY,
    ASPECT_SEPARATOR,
    CATALOG_PREFIX,
    DID_YOU_MEAN,
    ENTRY_GENERAL,
    FAQ_INTENT,
    KIND_PREFIX,
    NOT_UNDERSTOOD,
    OUT_OF_SCOPE,
    UNCOVERED,
    UNLISTED,
    UNLISTED_ABROAD,
    catalog_response,
    entry_general_response,
    faq_entry_id,
    faq_response,
    general_rule_of,
    kind_response,
    unlisted_response,
)
from bot.knowledge.routing import (
    CHOOSE_ENTRY_INTENT,
    NLU_FALLBACK_INTENT,
    OUT_OF_SCOPE_INTENT,
    QUESTION_INTENT,
    UNLISTED_INTENT,
    knowledge_intents,
)
from bot.settings import Settings
from bot.text import DEFAULT_LANGUAGE, normalize_phrase
from bot.understanding.gate import Findings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """What to say: a response name, optional buttons, and the catalog topic to remember.

    `catalog_aspect` is kept in a slot so that a follow-up such as "what about lawyers?"
    answers the same kind of question about another entry.
    """

    response: str
    answered_by: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    catalog_aspect: str | None = None
    # Values for the response's {placeholders} (what the user asked about, whom to ask).
    values: dict[str, str] = field(default_factory=dict)
    # The answers to the question's other aspects, sent after this one.
    more: tuple[Reply, ...] = ()

    def parts(self) -> tuple[Reply, ...]:
        """This answer and those that follow it, in the order sent."""
        return (self, *self.more)


def _selected_faq(message: Mapping[str, Any]) -> tuple[str | None, float]:
    """The FAQ key the response selector chose ("faq/expiry_and_renewal"), and its confidence."""
    selected = ((message.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("response") or {}
    return selected.get("intent_response_key"), float(selected.get("confidence") or 0.0)


def choose_entry_payload(entry_id: str, aspect: str | None = None) -> str:
    """The message a "Did you mean" button sends: picks one entry (and what it asks about
    a catalog entry) without NLU."""
    chosen = {"entry_id": entry_id, **({"aspect": aspect} if aspect else {})}
    return f"/{CHOOSE_ENTRY_INTENT}{json.dumps(chosen, separators=(',', ':'))}"


class Dialogue:
    """The answering logic, over one loaded knowledge base."""

    def __init__(self, kb: KnowledgeBase, settings: Settings) -> None:
        self.kb = kb
        self.settings = settings
        self._topics = {topic.id: topic for topic in kb.scope.uncovered_topics}
        self._mentions = MentionFinder(kb)
        self._catalog_intents = set(knowledge_intents(kb)) - {FAQ_INTENT}
        # The intents whose answer comes from the knowledge (not small talk, not the lookup).
        self._answered = {*knowledge_intents(kb), OUT_OF_SCOPE_INTENT}
        # The aspects a button may ask about one entry, with their questions; the aspect each
        # catalog question and each general rule answers, the first of knowledge/aspects.yml's.
        self._offered = {rule.id: rule.question for rule in kb.aspects.aspects if rule.question}
        self._catalog_aspects: dict[str, str] = {}
        self._general_aspects: dict[str, str] = {}
        for rule in kb.aspects.aspects:
            if rule.id in self._offered and rule.catalog:
                self._catalog_aspects.setdefault(rule.catalog, rule.id)
            if rule.id in self._offered and rule.general:
                self._general_aspects.setdefault(rule.general, rule.id)

    def answer(self, message: Mapping[str, Any], pending_aspect: str | None, language: str) -> Reply:
        """Answers a parsed message with any intent that bot.knowledge.routing sends to the knowledge."""
        intent = str((message.get("intent") or {}).get("name") or "")
        if intent == FAQ_INTENT:
            return self.answer_faq(message, language)
        if intent in self._catalog_intents:
            return self.answer_catalog(message, pending_aspect, language)
        if intent == OUT_OF_SCOPE_INTENT:
            reply = self.answer_out_of_scope(message, language)
            # Something unrelated ("ok", "what's the weather?") leaves the catalog topic as it
            # was: "what about doctors?" after it still asks what was asked before.
            return replace(reply, catalog_aspect=pending_aspect) if reply.response == OUT_OF_SCOPE else reply
        if intent == UNLISTED_INTENT:
            return self.answer_unlisted(message)
        if intent == QUESTION_INTENT:
            return self.answer_aspects(message, language)
        if intent == CHOOSE_ENTRY_INTENT:
            chosen = {e.get("entity"): str(e.get("value")) for e in message.get("entities") or []}
            return self.answer_choice(chosen.get("entry_id"), chosen.get("aspect"), language)
        return self._agreed_answer(message, pending_aspect, language) or self.suggest(message, language)

    def _agreed_answer(self, message: Mapping[str, Any], pending_aspect: str | None, language: str) -> Reply | None:
        """For a message the classifier was unsure of: the answer its two likeliest intents
        both lead to, when together they are confident enough ("how would I detect a forged
        CPA certificate" is an FAQ question or a catalog one, and both answer CPA's
        verification). "Did you mean" is for answers that differ."""
        ranking = [i for i in message.get("intent_ranking") or [] if i.get("name") != NLU_FALLBACK_INTENT][:2]
        confidence = sum(float(i.get("confidence") or 0.0) for i in ranking)
        if len(ranking) < 2 or confidence < self.settings.answer_confidence:
            return None
        if any(i.get("name") not in self._answered for i in ranking):
            return None
        first, second = (self.answer({**message, "intent": i}, pending_aspect, language) for i in ranking)
        return first if first.response == second.response and not first.buttons else None

    # `language` is the conversation's: Rasa picks each response's text by the language
    # slot, but the titles of suggestion buttons are chosen here.

    def answer_faq(self, message: Mapping[str, Any], language: str) -> Reply:
        """Answers a message classified as an FAQ question, or offers choices when unsure."""
        key, confidence = _selected_faq(message)
        if not key:
            return self.suggest(message, language)
        entry = self.kb.faq_entry(faq_entry_id(key))
        found = self._found(message)
        mentioned, topic = found.entry, self._topic(found)
        if mentioned and topic:
            return self._uncovered(topic, self.kb.catalog_entry(mentioned), language, entry.catalog_aspect)
        if entry.catalog_aspect and mentioned:
            aspect = entry.catalog_aspect
            return Reply(catalog_response(mentioned, aspect), mentioned, catalog_aspect=aspect)
        if not mentioned:
            name = found.unlisted
            if name:
                return Reply(unlisted_response(entry.id), "unlisted", catalog_aspect=entry.catalog_aspect,
                             values={"name": name})
            if topic and entry.id not in topic.answered_in_general_by:
                return self._uncovered(topic, None, language, entry.catalog_aspect)
        if confidence < self.settings.answer_confidence:
            return self.suggest(message, language)
        return Reply(faq_response(entry.id), entry.id, catalog_aspect=entry.catalog_aspect)

    def answer_out_of_scope(self, message: Mapping[str, Any], language: str) -> Reply:
        """Declines an unrelated request, unless it asks about certificates after all, on a
        topic or a certificate that the knowledge does not hold ("is the PMP worth it?")."""
        declined = Reply(OUT_OF_SCOPE, "out_of_scope")
        found = self._found(message)
        mentioned, topic = found.entry, self._topic(found)
        if mentioned:
            # "一建通过率多少" asks about a known entry; "find me a divorce lawyer" names a job,
            # but asks nothing about its certificate. Its certificate named (「二建审核不通过会
            # 怎样」) is asked about, though not in words the aspects know: which question?
            if topic:
                return self._uncovered(topic, self.kb.catalog_entry(mentioned), language, None)
            return self.suggest(message, language) if _names_certificate(message, found) else declined
        if found.relatedness.unrelated(classified_unrelated=True):
            return declined
        name = found.unlisted
        if name:
            return Reply(UNLISTED, "unlisted", values={"name": name})
        if topic:
            return self._uncovered(topic, None, language, None)
        return declined

    def answer_aspects(self, message: Mapping[str, Any], language: str) -> Reply:
        """Answers each aspect the message asks about (knowledge/aspects.yml). The answer the
        classifiers lead to comes first where it is about the same subject and answers one of
        the aspects (they know our own phrasings best); each aspect it leaves is answered on
        its own, in a message of its own."""
        found = self._found(message)
        composed = self._compose(found, language)
        parts = [part for _, part in composed]
        classified = found.classified
        if classified in self._answered or classified == UNLISTED_INTENT:
            ranking = message.get("intent_ranking") or [{}]
            confidence = float(ranking[0].get("confidence") or 0.0) if ranking[0].get("name") == classified else 1.0
            chosen = self.answer({**message, "intent": {"name": classified, "confidence": confidence}}, None, language)
            first_part = next((part for aspect, part in composed if aspect), composed[0][1])
            if not chosen.buttons and self._same_subject(chosen, first_part) and self._kind_agrees(chosen, found) \
                    and self._agrees(chosen, found):
                # It answers one aspect at least; the others follow, and a lead ("no entry
                # for X", "not covered") it does not say already. Where it answers none (only
                # weak aspects were read: "what is the significance of certificates"), it
                # stands alone.
                answers_one = any(self._answers(chosen, aspect) for aspect in found.aspects)
                parts = [chosen, *(part for aspect, part in composed
                                   if (aspect and answers_one and not self._answers(chosen, aspect))
                                   or (not aspect and part.response.split(ASPECT_SEPARATOR)[0]
                                       != chosen.response.split(ASPECT_SEPARATOR)[0]))]
        # The entry's own answer on a topic stands in for the topic's general rule: "how often is
        # the electrician certificate re-examined" gets its expiry answer, not both.
        own_topics = {rule.general for rule in self.kb.aspects.aspects
                      if rule.catalog and any(part.response == catalog_response(part.answered_by, rule.catalog)
                                              for part in parts)}
        parts = [part for part in parts if not (part.response.startswith(ENTRY_GENERAL)
                                                and general_rule_of(part.response) in own_topics)]
        return _joined(parts)

    def _kind_agrees(self, chosen: Reply, found: Findings) -> bool:
        """A kind of certificate named ("the national catalog") is answered by its own entries,
        where it has one for what was asked."""
        kind = self.kb.aspects.kind(found.kind) if found.kind else None
        if kind is None or found.entry and not kind.before_entries:
            return True
        own = {self._kind_part(kind, aspect) for aspect in found.aspects or ("what_is",)} - {None}
        return not own or chosen.response in own | {faq_response(faq_id) for faq_id in kind.also}

    @staticmethod
    def _kind_part(kind: KindRule, aspect: str) -> str | None:
        """The response that answers an aspect of a kind of certificate, if the kind has one."""
        if aspect == "what_is" and kind.category:
            return kind_response(kind.id)
        return faq_response(kind.answers[aspect]) if aspect in kind.answers else None

    def _agrees(self, chosen: Reply, found: Findings) -> bool:
        """Whether the classifiers' answer answers what was asked: one of its aspects, or,
        when only vague ones were read, an answer on another aspect ("what is the
        significance of certificates" asks about their value; a comparison, read by a firm
        cue, asks what each one is). About certificates in general, "need" is vague too
        ("what must i do to be awarded a certificate": the classifiers know such phrasings);
        of a job or certificate named, it asks whether one is needed ("Do welders need a
        license?")."""
        if any(self._answers(chosen, aspect) for aspect in found.aspects):
            return True
        rules = self.kb.aspects.aspects
        # What the classifiers saw beyond the vague cues: an answer on a strong aspect.
        strong = any(not rule.weak and self._answers(chosen, rule.id) for rule in rules)
        named = found.entry or found.unlisted or found.kind
        read = [self.kb.aspects.rule(aspect) for aspect in found.aspects]
        return strong and all(rule.id not in found.firm and (rule.vague or (rule.weak and not named)) for rule in read)

    def _answers(self, reply: Reply, aspect: str) -> bool:
        """Whether a reply answers this aspect (knowledge/aspects.yml says which answers do)."""
        rule = self.kb.aspects.rule(aspect)
        response = reply.response
        if response.startswith(CATALOG_PREFIX):
            answered = response.rpartition(ASPECT_SEPARATOR)[2]
            return answered in (rule.catalog, aspect)
        if response == UNCOVERED:
            return rule.uncovered is not None
        general = general_rule_of(response)
        return general is not None and rule.answered_by_faq(general)

    @staticmethod
    def _same_subject(reply: Reply, composed: Reply) -> bool:
        """Whether two answers are about the same thing: one entry, no entry, or one unlisted name."""
        def subject(part: Reply) -> tuple[str, str]:
            if part.response.startswith(UNLISTED) or part.values.get("name"):
                return "unlisted", part.values.get("name", "")
            if part.response.startswith(CATALOG_PREFIX) or part.response.startswith(ENTRY_GENERAL):
                return "entry", part.answered_by
            if part.response == UNCOVERED and part.answered_by != "uncovered":
                return "entry", part.answered_by
            return "general", ""
        return subject(reply) == subject(composed)

    def _compose(self, found: Findings, language: str) -> list[tuple[str | None, Reply]]:
        """One answer per aspect asked, about the entry, kind of certificate or unlisted
        certificate the message names, or in general; each with its aspect (None for what
        comes first: "no entry for X", a topic not covered)."""
        rules = self.kb.aspects
        named_kind = rules.kind(found.kind) if found.kind else None
        # 「特种作业操作证是准入类的吗」 asks about the catalog's types, not the entry.
        entry = self.kb.catalog_entry(found.entry) if found.entry and not (
            named_kind and named_kind.before_entries) else None
        kind = named_kind if not entry else None
        # A certificate named beside a kind that is not one of the four (焊工证, a special
        # operation) is still one we have no entry for, unless the kind's own cues name it.
        named_by_kind = kind is not None and (kind.category is not None or _names(kind.cues, found.unlisted))
        unlisted = found.unlisted if not (entry or named_by_kind) else None
        parts: list[tuple[str | None, Reply]] = []
        for aspect in found.aspects or ("what_is",):
            rule = rules.rule(aspect)
            if rule.uncovered:
                part = self._uncovered(self._topics[rule.uncovered], entry, language, rule.catalog, unlisted)
            elif entry and aspect in entry.facts:
                part = Reply(catalog_response(entry.id, aspect), entry.id, catalog_aspect=rule.catalog)
            elif entry and rule.catalog:
                part = Reply(catalog_response(entry.id, rule.catalog), entry.id, catalog_aspect=rule.catalog)
            elif entry and rule.general:
                part = self._entry_general(entry, rule.general, language)
            elif kind and (response := self._kind_part(kind, aspect)):
                part = Reply(response, kind.id if response.startswith(KIND_PREFIX) else kind.answers[aspect])
            elif rule.general and unlisted and not parts:
                part = Reply(unlisted_response(rule.general), "unlisted", catalog_aspect=rule.catalog,
                             values={"name": unlisted})
            elif rule.general:
                part = Reply(faq_response(rule.general), rule.general, catalog_aspect=rule.catalog)
            else:
                continue
            parts.append((aspect, part))
        if unlisted and not any(part.response.startswith(UNLISTED) for _, part in parts):
            # Says first that there is no entry for it, and where to check.
            parts.insert(0, (None, Reply(UNLISTED, "unlisted", values={"name": unlisted})))
        topic = self._topic(found)
        general_rules = {general_rule_of(part.response) for _, part in parts}
        if topic and not general_rules & {*topic.answered_in_general_by} \
                and topic.id not in {rules.rule(aspect).uncovered for aspect in found.aspects}:
            # After "no entry for X", if it is said: that comes first.
            place = 1 if unlisted and parts and parts[0][1].values.get("name") else 0
            parts.insert(place, (None, self._uncovered(topic, entry, language, None, unlisted)))
        return parts

    def _entry_general(self, entry: CatalogEntry, faq_id: str, language: str) -> Reply:
        """The general rule for an aspect the entry has no fact of its own on, marked as general."""
        ask = entry.ask or self.kb.templates.default_ask
        return Reply(entry_general_response(faq_id), entry.id, values={
            "certificate": entry.certificate[language], "ask": ask[language]})

    def answer_unlisted(self, message: Mapping[str, Any]) -> Reply:
        """A question about a certificate or job that the catalog lacks: says so, where to
        check, and the general rule of the FAQ entry closest to the question, if one is."""
        found = self._found(message)
        name = found.unlisted or ""
        if found.abroad:
            return Reply(UNLISTED_ABROAD, "unlisted", values={"name": name})
        key, confidence = _selected_faq(message)
        if key and confidence >= self.settings.answer_confidence:
            entry = self.kb.faq_entry(faq_entry_id(key))
            return Reply(unlisted_response(entry.id), "unlisted", catalog_aspect=entry.catalog_aspect,
                         values={"name": name})
        return Reply(UNLISTED, "unlisted", values={"name": name})

    def answer_catalog(self, message: Mapping[str, Any], pending_aspect: str | None, language: str) -> Reply:
        """Answers a question about one job or certificate, or asks which one is meant."""
        intent = str((message.get("intent") or {}).get("name") or "")
        asked = self.kb.question_for_intent(intent).aspect
        # A message that only names an entry ("what about lawyers?") continues the topic.
        aspect = pending_aspect if asked == "overview" and pending_aspect else asked
        found = self._found(message)
        mentioned, topic = found.entry, self._topic(found)
        if mentioned is not None:
            if topic:
                return self._uncovered(topic, self.kb.catalog_entry(mentioned), language, aspect)
            return Reply(catalog_response(mentioned, aspect), mentioned, catalog_aspect=aspect)
        # A question about one job that names none we know: the words the knowledge never
        # uses are most likely the job ("do welders need certification?"). A bare name with
        # no question asked or pending may be anything ("asdf"), so it needs a certificate word.
        name = found.unlisted or (found.unknown if aspect != "overview" else None)
        general = self._general_entry(aspect)
        if name:
            response = unlisted_response(general) if general else UNLISTED
            return Reply(response, "unlisted", catalog_aspect=aspect, values={"name": name})
        if topic and general not in topic.answered_in_general_by:
            return self._uncovered(topic, None, language, aspect)
        if aspect == "overview":
            # Classified as naming a job, yet names none, with no question pending: most
            # likely not understood, so do not guess.
            return self.suggest(message, language)
        if general is not None:
            # "Does my certificate expire?" names no job: the FAQ entry on that topic answers
            # in general, and invites the user to name one (the topic is remembered).
            return Reply(faq_response(general), general, catalog_aspect=aspect)
        return Reply(ASK_WHICH_CATALOG_ENTRY, "catalog", catalog_aspect=aspect)

    def _found(self, message: Mapping[str, Any]) -> Findings:
        """What the domain gate found in the message; for a message it never saw (a payload,
        which skips the NLU), the entry its entities name."""
        return Findings.of(message) or Findings.named_by_payload(
            self._mentions.from_entities(message.get("entities") or []))

    def _topic(self, found: Findings) -> UncoveredTopic | None:
        return self._topics.get(found.uncovered) if found.uncovered else None

    def _general_entry(self, aspect: str) -> str | None:
        """The FAQ entry that answers an aspect in general ("do certificates expire?")."""
        return next((entry.id for entry in self.kb.faq if entry.catalog_aspect == aspect), None)

    def _uncovered(self, topic: UncoveredTopic, entry: CatalogEntry | None, language: str,
                   aspect: str | None, unlisted: str | None = None) -> Reply:
        """Says that the knowledge does not hold this topic about the entry or the unlisted
        certificate (or in general), and whom to ask."""
        replies = self.kb.scope.replies
        ask = entry.ask if entry and entry.ask else self.kb.templates.default_ask
        subject = entry.certificate[language] if entry else unlisted or replies["uncovered_subject"][language]
        return Reply(UNCOVERED, entry.id if entry else "uncovered", catalog_aspect=aspect, values={
            "topic": topic.name[language], "subject": subject, "ask": ask[language]})

    def answer_choice(self, entry_id: str | None, aspect: str | None = None,
                      language: str = DEFAULT_LANGUAGE) -> Reply:
        """Answers the entry a user picked from the "Did you mean" buttons: an FAQ entry, or a
        catalog entry on the aspect the button asked about (its overview without one)."""
        faq_ids = {entry.id for entry in self.kb.faq}
        catalog_ids = {entry.id for entry in self.kb.catalog}
        if entry_id in faq_ids:
            return Reply(faq_response(entry_id), entry_id, catalog_aspect=self.kb.faq_entry(entry_id).catalog_aspect)
        if entry_id in catalog_ids and aspect in self._offered:
            asked = replace(Findings.named_by_payload(entry_id), aspects=(str(aspect),))
            return _joined([part for _, part in self._compose(asked, language)])
        if entry_id in catalog_ids:
            return Reply(catalog_response(entry_id, "overview"), entry_id, catalog_aspect="overview")
        logger.warning("choose_entry with unknown entry id %r or aspect %r", entry_id, aspect)
        return Reply(NOT_UNDERSTOOD, "none")

    def suggest(self, message: Mapping[str, Any], language: str) -> Reply:
        """Offers the likeliest questions as buttons instead of guessing: about the catalog
        entry the message names, if it names one; otherwise the closest FAQ entries."""
        entry = self._found(message).entry
        buttons = self._entry_buttons(entry, message, language) if entry else self._faq_buttons(message, language)
        if not buttons:
            return Reply(NOT_UNDERSTOOD, "none")
        return Reply(DID_YOU_MEAN, "suggestions", buttons=buttons)

    def _faq_buttons(self, message: Mapping[str, Any], language: str) -> list[dict[str, str]]:
        known = {entry.id for entry in self.kb.faq}
        buttons = []
        for entry_id, _ in self._faq_ranking(message):
            if entry_id in known:
                question = self.kb.faq_entry(entry_id).question[language]
                buttons.append({"title": question, "payload": choose_entry_payload(entry_id)})
        return buttons[:self.settings.suggestion_count]

    def _faq_ranking(self, message: Mapping[str, Any]) -> list[tuple[str, float]]:
        """The FAQ entries the answer selection found closest, with its confidence in each."""
        ranking = ((message.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("ranking") or []
        candidates = [(str(candidate.get("intent_response_key") or ""), float(candidate.get("confidence") or 0.0))
                      for candidate in ranking]
        return [(faq_entry_id(key), confidence) for key, confidence in candidates
                if "/" in key and confidence >= self.settings.suggestion_min_confidence]

    def _entry_buttons(self, entry_id: str, message: Mapping[str, Any], language: str) -> list[dict[str, str]]:
        """The questions about one entry that the classifiers found likeliest: each catalog
        question by its intent's confidence, each general rule by the FAQ's times the answer
        selection's; then whether it is needed, its validity, how to verify and obtain it."""
        likely: dict[str, float] = {}
        faq_confidence = 0.0
        for ranked in message.get("intent_ranking") or []:
            name, confidence = str(ranked.get("name")), float(ranked.get("confidence") or 0.0)
            if name == FAQ_INTENT:
                faq_confidence = confidence
            elif name in self._catalog_intents and (aspect := self._catalog_aspects.get(
                    self.kb.question_for_intent(name).aspect)):
                likely[aspect] = max(likely.get(aspect, 0.0), confidence)
        for faq_id, confidence in self._faq_ranking(message):
            if aspect := self._general_aspects.get(faq_id):
                likely[aspect] = max(likely.get(aspect, 0.0), faq_confidence * confidence)
        ranked_aspects = sorted(likely, key=lambda aspect: -likely[aspect])
        entry = self.kb.catalog_entry(entry_id)
        buttons = []
        for aspect in dict.fromkeys([*ranked_aspects, *_USUAL_ASPECTS]):
            question = self._offered.get(aspect)
            if question:
                title = question[language].replace("{certificate}", entry.certificate[language])
                buttons.append({"title": title, "payload": choose_entry_payload(entry_id, aspect)})
        return buttons[:self.settings.suggestion_count]


# What is most often asked about one certificate, offered after what the classifiers found.
_USUAL_ASPECTS = ("needed", "validity", "verify", "obtain")


def _joined(parts: list[Reply]) -> Reply:
    """The answers to each aspect as one reply: the first, and those that follow it, each once."""
    unique: list[Reply] = []
    for part in parts:
        if all((part.response, part.values) != (other.response, other.values) for other in unique):
            unique.append(part)
    first, *rest = unique
    return Reply(first.response, first.answered_by, catalog_aspect=first.catalog_aspect, values=first.values,
                 more=tuple(rest))


def _names_certificate(message: Mapping[str, Any], found: Findings) -> bool:
    """Whether a message names a catalog certificate by its own name (二建, not 律师), and no
    other kind of certificate."""
    named = any(entity.get("entity") == CERTIFICATE_ALIAS for entity in message.get("entities") or [])
    return named and not found.relatedness.other_meaning


def _names(cues: LocalizedList, name: str | None) -> bool:
    """Whether a name holds one of these cue words (「开车拉危险品」 holds 危险品)."""
    normalized = normalize_phrase(name or "")
    return any(normalize_phrase(cue) in normalized for words in cues.values() for cue in words)
