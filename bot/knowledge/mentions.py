"""Finds which catalog entry a message names: from recognised entities first, then by a
match on the text: Chinese aliases anywhere in the text, English aliases word by word with
typos forgiven ("electrican"). A name that contains an alias but means another job (an
entry's `not_aliases`: 瑜伽老师, "patent attorney") names no entry."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from functools import lru_cache
from typing import Any

from bot.knowledge.model import ALIAS_KINDS, OTHER_JOB, KnowledgeBase
from bot.text import HAN_CHARACTER, normalize_phrase

# How alike (0-1) a misspelt word must be to an alias word to count as that word.
# Matching word by word, never across words, keeps "a certificate" from matching
# "cpa certificate".
FUZZY_CUTOFF = 0.85
# Shorter words must match exactly: one typo changes them too much to tell them apart.
FUZZY_MIN_LENGTH = 5


@lru_cache(maxsize=65536)
def _word_similarity(typed: str, alias_word: str) -> float:
    """How alike two words are (0-1); kept, for the same words come in message after message."""
    if typed == alias_word:
        return 1.0
    # A typo rarely hits the first letter, and "instructor" is no "constructor".
    if len(alias_word) < FUZZY_MIN_LENGTH or len(typed) < FUZZY_MIN_LENGTH or typed[0] != alias_word[0]:
        return 0.0
    # At best every letter of the shorter word matches: words of lengths too far apart are unlike.
    if 2 * min(len(typed), len(alias_word)) / (len(typed) + len(alias_word)) < FUZZY_CUTOFF:
        return 0.0
    return difflib.SequenceMatcher(None, typed, alias_word).ratio()


@lru_cache(maxsize=1)
def _segmenter() -> Any:  # jieba has no type information
    """jieba with its own dictionary only: the Rasa server's tokenizer loads our user dictionary
    into jieba's shared one, and tests load others, which would move where words are cut. A
    name matches where it starts and ends on a cut, whether or not it is one word of its own."""
    import jieba  # loaded on first use: its dictionary takes a moment

    return jieba.Tokenizer()


@lru_cache(maxsize=1024)
def _word_boundaries(text: str) -> frozenset[int]:
    """Where the segmenter cuts the text into words (its start and end included)."""
    boundaries, position = {0}, 0
    for word in _segmenter().cut(text, HMM=False):
        position += len(word)
        boundaries.add(position)
    return frozenset(boundaries)


def _named(text: str, name: str, boundaries: Set[int]) -> bool:
    """Whether a Chinese name is in the text on a cut at one end at least: 一建 is not named in
    「唯一建议」 (唯一/建议), 老师 is in 「中学老师」, a word of jieba's own."""
    start = text.find(name)
    while start != -1:
        if start in boundaries or start + len(name) in boundaries:
            return True
        start = text.find(name, start + 1)
    return False


class MentionFinder:
    """Maps what a user typed, in any language, to a catalog entry id."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._entry_by_alias: dict[str, str] = {}
        # Names of a certificate (not of a job): after another job's name they say which
        # certificate it asks about, not which job (「宠物医生需要医师资格证吗」).
        self._certificate_names: set[str] = set()
        for entry in kb.catalog:
            for language, kinds in entry.aliases.items():
                for kind in ALIAS_KINDS:
                    for alias in kinds[kind]:
                        self._entry_by_alias[normalize_phrase(alias)] = entry.id
                        if kind == "certificate":
                            self._certificate_names.add(normalize_phrase(alias).replace(" ", ""))
                self._entry_by_alias.setdefault(normalize_phrase(entry.title[language]), entry.id)
        not_aliases = sorted({normalize_phrase(name) for entry in kb.catalog for names in entry.not_aliases.values()
                              for name in names})
        # Chinese is written without spaces: its aliases are found inside the text, longest
        # first, so that a longer name that is not the entry (瑜伽老师) is seen before the
        # alias inside it (老师). None: a name of another job.
        chinese: list[tuple[str, str | None]] = [
            (alias, entry_id) for alias, entry_id in self._entry_by_alias.items() if HAN_CHARACTER.search(alias)]
        chinese += [(name, None) for name in not_aliases if HAN_CHARACTER.search(name)]
        self._chinese_aliases = [(alias.replace(" ", ""), entry_id)
                                 # Other jobs first: 「宠物医生需要医师资格证吗」 asks about pet doctors.
                                 for alias, entry_id in sorted(chinese, key=lambda item: (item[1] is not None,
                                                                                          -len(item[0])))]
        self._english_not_aliases = sorted((name for name in not_aliases if not HAN_CHARACTER.search(name)),
                                           key=len, reverse=True)
        # English aliases by the first letter of their first word: a typed word matches an
        # alias word only if it begins with the same letter (_word_similarity), so only these
        # aliases can start at a typed word. Each keeps its place in the list, which breaks ties.
        self._english_aliases: dict[str, list[tuple[int, list[str], str]]] = defaultdict(list)
        english = [(alias.split(), entry_id) for alias, entry_id in self._entry_by_alias.items()
                   if alias and not HAN_CHARACTER.search(alias)]
        for place, (alias_words, entry_id) in enumerate(english):
            self._english_aliases[alias_words[0][0]].append((place, alias_words, entry_id))

    def from_entities(self, entities: Iterable[Mapping[str, Any]]) -> str | None:
        """The entry named by the first profession or certificate entity that we know."""
        for entity in entities:
            if entity.get("entity") in ALIAS_KINDS:
                entry_id = self._entry_by_alias.get(normalize_phrase(str(entity.get("value", ""))))
                if entry_id:
                    return entry_id
        return None

    def from_text(self, text: str) -> str | None:
        """The entry whose alias best matches the text: a Chinese alias inside it, else a run
        of English words, typos allowed (longer aliases win, then closer matches)."""
        normalized = normalize_phrase(text)
        compact = normalized.replace(" ", "")
        boundaries = _word_boundaries(compact) if HAN_CHARACTER.search(compact) else set()
        other_job = False
        for alias, entry_id in self._chinese_aliases:
            if not _named(compact, alias, boundaries):
                continue
            if entry_id is None or (other_job and alias in self._certificate_names):
                # Another job's name, or after one a certificate's (医师资格证 in 「宠物医生需要医师资格证吗」):
                # its characters name no entry.
                other_job = other_job or entry_id is None
                compact = compact.replace(alias, "|" * len(alias))
            else:
                return entry_id
        padded = f" {normalized} "
        for name in self._english_not_aliases:
            if f" {name} " in padded:
                other_job = True
                padded = padded.replace(f" {name} ", " | ")
        words = padded.split()
        # The best: the longest alias, then the closest match, then the alias listed first,
        # then the earliest in the text.
        best: tuple[int, float, int, int] | None = None
        best_entry = None
        for start, first in enumerate(words):
            for place, alias_words, entry_id in self._english_aliases.get(first[0], ()):
                if other_job and " ".join(alias_words) in self._certificate_names:
                    continue
                size = len(alias_words)
                if start + size > len(words):
                    continue
                scores = []
                for typed, alias_word in zip(words[start : start + size], alias_words, strict=True):
                    scores.append(_word_similarity(typed, alias_word))
                    if scores[-1] < FUZZY_CUTOFF:
                        break
                if min(scores) < FUZZY_CUTOFF:
                    continue
                candidate = (size, sum(scores) / size, -place, -start)
                if best is None or candidate > best:
                    best, best_entry = candidate, entry_id
        return best_entry

    def other_job(self, text: str) -> str | None:
        """The name of another job the text names (宠物医生, "patent attorney"), if any."""
        normalized = normalize_phrase(text)
        compact = normalized.replace(" ", "")
        boundaries = _word_boundaries(compact) if HAN_CHARACTER.search(compact) else set()
        for alias, entry_id in self._chinese_aliases:
            if entry_id is None and _named(compact, alias, boundaries):
                return alias
        return next((name for name in self._english_not_aliases if f" {name} " in f" {normalized} "), None)

    def find(self, message: Mapping[str, Any]) -> str | None:
        """The entry a parsed message names, if any."""
        entities = message.get("entities") or []
        if any(entity.get("entity") == OTHER_JOB for entity in entities):
            # Another job is named: only the text (which weighs the names) can tell.
            return self.from_text(str(message.get("text") or ""))
        text = str(message.get("text") or "")
        return self.from_entities(_whole_words(entities, text)) or self.from_text(text)


def _whole_words(entities: Sequence[Mapping[str, Any]], text: str) -> list[Mapping[str, Any]]:
    """The entities whose Chinese names are words of the text, as from_text reads them: the
    recogniser finds 一建 inside 「唯一建议」, which names no entry."""
    names = [normalize_phrase(str(entity.get("value", ""))).replace(" ", "") for entity in entities]
    if not any(HAN_CHARACTER.search(name) for name in names):
        return list(entities)  # (the text is cut into words only when a Chinese name needs it)
    compact = normalize_phrase(text).replace(" ", "")
    boundaries = _word_boundaries(compact)
    return [entity for entity, name in zip(entities, names, strict=True)
            if not HAN_CHARACTER.search(name) or _named(compact, name, boundaries)]
