"""Reads what a question asks about (its aspects) and which kind of certificate it means,
from the cue words of knowledge/aspects.yml.

「二建需要注册吗」 asks about registration; "how long is a teacher certificate valid and how
do I check it is real?" asks about validity and verification: each aspect asked gets its own
answer (bot.dialogue.answering)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.knowledge.model import ALIAS_KINDS, KnowledgeBase, LocalizedList
from bot.text import HAN_CHARACTER, normalize_phrase

# At most this many aspects are answered: a third is rarely asked, and three answers in a
# row read as a wall of text.
MAX_ASPECTS = 2
# "A…B" in a cue: A, then B later in the message.
_GAP = "…"
# Ends the label of an aspect read by one of its firm cues (a comparison: 区别, "same as").
_FIRM = "!"
# A name taken out of a clause leaves its certificate word: 「干厨师要厨师证吗」 still asks "要…证吗".
_NAME_ENDING = re.compile(r"(证书|证|licen[cs]es?|certificates?|certifications?)$")
# A name that is doing the job ("practice law", "teach in china") begins with its verb.
JOB_VERB = re.compile(r"(?<![a-z])(practi[cs]e|practi[cs]ing|teach|teaching)(?= )")
# Qualifications in general, counted as a kind when a message compares kinds (aspects.yml's
# general_kinds).
_GENERAL_KIND = "general"
# Two things compared, in Chinese: 「A和B的区别」, 「A与B一样吗」.
_COMPARED = re.compile(r"([\u4e00-\u9fff]+)[和与跟同及]([\u4e00-\u9fff]+?)(?:的|之间|有|是|一样|不同|区别|差别)")
# Two names compared share at least this much of their ending (电工证, 助理医师, 资格): one
# thing's variants. One character (证) is shared by any two certificates.
_MIN_SHARED_HEAD = 2
# A grade named by a letter: A证, ABC证, A类证.
_LETTER_GRADE = re.compile(r"(?<![a-z0-9])[a-d]{1,3}\s*类?证")
# Where one question ends and the next begins: 「职业证是什么?为何要考?」. A space counts in
# Chinese (「考幼师需要什么学历 幼师资格证是什么」), not between English words.
_CLAUSE_BREAK = re.compile(r"[?？!！。;；,，、]+"
                           r"|(?<=[\u4e00-\u9fff])[\s.]+(?=[\u4e00-\u9fff])"
                           r"|\s+and\s+(?=how|what|where|when|who|why|is|are|do|does|can)")


def _cue_pattern(cue: str) -> str:
    """A cue as a regular expression on normalised text: Chinese anywhere, English at the
    start of a word."""
    parts = []
    for part in cue.split(_GAP):
        words = normalize_phrase(part)
        if not words:
            continue
        escaped = re.escape(words).replace(r"\ ", r"\s*")
        parts.append(f"({escaped})" if HAN_CHARACTER.match(words) else rf"(?<![a-z0-9])({escaped})")
    return ".*?".join(parts)


@dataclass(frozen=True)
class _Cue:
    label: str
    pattern: re.Pattern[str]
    # The words the pattern matches literally (the longest first): a text without one of them
    # is passed by, which spares most of the hundreds of patterns run on every message.
    words: tuple[str, ...]
    # (The check is written out where it is made, here and in _Names: a helper function called
    # for each of the hundreds of cues made reading a message 2.5 times slower, bench/gate_speed.py.)


def _literal_words(cue: str) -> tuple[str, ...]:
    return tuple(sorted(normalize_phrase(cue.replace(_GAP, " ")).split(), key=len, reverse=True))


def _cues(labelled: list[tuple[str, LocalizedList]]) -> list[_Cue]:
    return [_Cue(label, re.compile(_cue_pattern(cue)), _literal_words(cue))
            for label, cues in labelled for words in cues.values() for cue in words if _cue_pattern(cue)]


class _Names:
    """Names taken out of a text, the longest first where two overlap: one pattern of those
    the text may hold, for the pattern of them all (hundreds of alternatives) took most of
    the time a message is read."""

    def __init__(self, names: list[str]) -> None:
        self._names = [(_literal_words(name), _cue_pattern(name))
                       for name in sorted(names, key=len, reverse=True) if _cue_pattern(name)]

    def sub(self, replacement: Callable[[re.Match[str]], str], text: str) -> str:
        present = [pattern for words, pattern in self._names
                   if words[0] in text and (len(words) == 1 or all(word in text for word in words[1:]))]
        # (re keeps the patterns it compiled last.)
        return re.sub("|".join(present), replacement, text) if present else text


def _matches(cues: list[_Cue], text: str) -> list[tuple[int, str]]:
    """Where each label's cues match, longer cues first taking their words' places: (start,
    label), in the order of the text. The gap of an "A…B" cue stays free for other cues
    (「需要审证吗」 asks about re-examination)."""
    found = []
    for cue in cues:
        if cue.words[0] not in text or not all(word in text for word in cue.words[1:]):
            continue
        for match in cue.pattern.finditer(text):
            spans = [match.span(group) for group in range(1, (match.lastindex or 0) + 1)]
            found.append((sum(end - start for start, end in spans), match.start(), spans, cue.label))
    taken: list[tuple[int, int]] = []
    placed: list[tuple[int, str]] = []
    for _, start, spans, label in sorted(found, key=lambda item: (-item[0], item[1])):
        if all(end <= other_start or begin >= other_end for begin, end in spans for other_start, other_end in taken):
            taken += spans
            placed.append((start, label))
    return sorted(placed)


@dataclass(frozen=True)
class Reading:
    """The aspects a message asks about, in the order asked, and the kind of certificate it
    names (an id of knowledge/aspects.yml's kinds), if any."""

    aspects: tuple[str, ...]
    kind: str | None
    # Those of the aspects that were read by a firm cue (a comparison asks what each is).
    firm: tuple[str, ...] = ()


class AspectReader:
    def __init__(self, kb: KnowledgeBase) -> None:
        rules = kb.aspects
        self._weak = {rule.id for rule in rules.aspects if rule.weak}
        self._vague = {rule.id for rule in rules.aspects if rule.vague}
        # Fees, dates ...: topics the knowledge has no answer on, which say only "ask them".
        self._unanswered = {rule.id for rule in rules.aspects if rule.uncovered and not (rule.general or rule.catalog)}
        self._aspect_cues = _cues([(rule.id, rule.cues) for rule in rules.aspects]
                                  + [(rule.id + _FIRM, rule.firm_cues) for rule in rules.aspects])
        self._kind_cues = _cues([(kind.id, words) for kind in rules.kinds for words in (kind.cues, kind.members)])
        self._any_kind_cues = self._kind_cues + _cues([(_GENERAL_KIND, rules.general_kinds)])
        # The catalog's names, taken out before reading: 注册会计师 asks nothing about registration.
        names = {normalize_phrase(alias) for entry in kb.catalog for kinds in entry.aliases.values()
                 for kind in ALIAS_KINDS for alias in kinds[kind]}
        names |= {normalize_phrase(title) for entry in kb.catalog for title in entry.title.values()}
        self._names = _Names([name for name in names if name])

    def read(self, text: str, name: str | None = None) -> Reading:
        """The aspects and kind of a message; `name`, the certificate or job it asks about
        that the catalog lacks, is taken out like the catalog's names (中级会计师 asks
        nothing about levels)."""
        kinds = _matches(self._kind_cues, normalize_phrase(text))
        named = re.compile(_cue_pattern(name)) if name and _cue_pattern(name) else None
        asked: list[str] = []
        firm: set[str] = set()
        for clause in _CLAUSE_BREAK.split(text):
            for label in self._clause_aspects(clause, named):
                aspect = label.removesuffix(_FIRM)
                if aspect != label:
                    firm.add(aspect)
                if aspect not in asked:
                    asked.append(aspect)
        if "what_is" in asked and _compares_qualification_with_licence(normalize_phrase(text)):
            asked = list(dict.fromkeys("qualification_vs_licence" if aspect == "what_is" else aspect
                                       for aspect in asked))
        elif "what_is" in asked and (self._compares_kinds(text) or _compares_variants(normalize_phrase(text))):
            asked = list(dict.fromkeys("types_levels" if aspect == "what_is" else aspect for aspect in asked))
        aspects = tuple(asked[:MAX_ASPECTS])
        return Reading(aspects=aspects, kind=kinds[0][1] if kinds else None,
                       firm=tuple(aspect for aspect in aspects if aspect in firm))

    def _compares_kinds(self, text: str) -> bool:
        """Whether a message names two kinds of certificate: 「专业资格与职业资格的区别」 and
        "what are A, B and C" ask about the types, not what one is."""
        return len({label for _, label in _matches(self._any_kind_cues, normalize_phrase(text))}) > 1

    def _clause_aspects(self, clause: str, named: re.Pattern[str] | None) -> list[str]:
        """The aspects one clause asks (labels: a firm cue's ends in _FIRM), weak ones only
        when it asks nothing else: 「二建需要注册吗」 asks about registration; 「幼师资格证是什么」
        after 「考幼师需要什么学历」 asks what it is."""
        without_names = self._names.sub(_placeholder, normalize_phrase(clause))
        if named:
            without_names = named.sub(_placeholder, without_names)
        asked = [label for _, label in _matches(self._aspect_cues, without_names)]
        strong = [label for label in asked if label.removesuffix(_FIRM) not in self._weak]
        if strong and all(label in self._unanswered for label in strong):
            # 「开店要厨师证吗多少钱一个」 asks whether one is needed, and its fee; 「官网是什么」 asks a place.
            return [label for label in asked if label.removesuffix(_FIRM) not in self._vague]
        return strong or asked


def _compares_variants(text: str) -> bool:
    """Whether a message compares two variants of one thing, which asks about its types and
    levels: 「高压电工证和低压电工证的区别」, 「乡村助理医师和执业助理医师有什么区别」 (two names
    that end alike), 「安全员ABC证区别」 (grades by letter)."""
    if _LETTER_GRADE.search(text):
        return True
    return any(_common_ending(first, second) >= _MIN_SHARED_HEAD
               for first, second in _COMPARED.findall(text.replace(" ", "")))


def _compares_qualification_with_licence(text: str) -> bool:
    """Whether a message compares one certificate's qualification with its licence to
    practise: 「导游证和导游资格证书的区别」, 「医师资格证与医师执业证一样吗」 (one name says
    资格, the other does not, and they are the same name without it; not 「资格证书和证书」,
    a kind and all certificates)."""
    for first, second in _COMPARED.findall(text.replace(" ", "")):
        stem = _without_grade(first)
        if ("资格" in first) != ("资格" in second) and stem == _without_grade(second) and len(stem) > 1:
            return True
    return False


def _without_grade(name: str) -> str:
    """A certificate's name without what says qualification or licence (资格, 执业) and
    without 书: 导游资格证书 and 导游证 are both 导游证."""
    return re.sub("资格|执业|书$", "", name)


def _common_ending(first: str, second: str) -> int:
    """How much two names share of their ending; 0 when one is the end of the other
    (「资格证书和证书」 compares a kind with all certificates, not two variants)."""
    shared = 0
    while shared < min(len(first), len(second)) and first[-1 - shared] == second[-1 - shared]:
        shared += 1
    return shared if shared < min(len(first), len(second)) else 0


def _placeholder(name: re.Match[str]) -> str:
    """What stands for a name taken out of a clause: in Chinese its certificate word, joined
    to the words around it; in English a mark, then its certificate word, and a name that is
    doing the job keeps its verb ("is it possible to practise medicine")."""
    ending = _NAME_ENDING.search(name.group(0))
    if not ending:
        if HAN_CHARACTER.match(name.group(0)):
            return ""  # 「无医师证」 reads 无证
        verb = JOB_VERB.match(name.group(0))
        return f" {verb.group(0)} § " if verb else " § "
    # A Chinese certificate word stays joined to the words around it (「要厨师证吗」: "要证吗",
    # 「假电工证」: "假证").
    return ending.group(0) if HAN_CHARACTER.match(ending.group(0)) else f" § {ending.group(0)} "
