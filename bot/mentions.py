"""Finds which catalog entry a message names: from recognised entities first, then by a
forgiving match on the text so that typos ("electrican") still find their entry."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from bot.knowledge import ALIAS_KINDS, KnowledgeBase
from bot.knowledge_loader import normalize_phrase

# How alike (0-1) a misspelt word must be to an alias word to count as that word.
# Matching word by word, never across words, keeps "a certificate" from matching
# "cpa certificate".
FUZZY_CUTOFF = 0.85
# Shorter words must match exactly: one typo changes them too much to tell them apart.
FUZZY_MIN_LENGTH = 5


def _word_similarity(typed: str, alias_word: str) -> float:
    if typed == alias_word:
        return 1.0
    if len(alias_word) < FUZZY_MIN_LENGTH or len(typed) < FUZZY_MIN_LENGTH:
        return 0.0
    return difflib.SequenceMatcher(None, typed, alias_word).ratio()


class MentionFinder:
    """Maps what a user typed to a catalog entry id."""

    def __init__(self, kb: KnowledgeBase, language: str) -> None:
        self._entry_by_alias: dict[str, str] = {}
        for entry in kb.catalog:
            for kind in ALIAS_KINDS:
                for alias in entry.aliases[language][kind]:
                    self._entry_by_alias[normalize_phrase(alias)] = entry.id
            self._entry_by_alias.setdefault(normalize_phrase(entry.title[language]), entry.id)
        self._alias_words = [(alias.split(), entry_id) for alias, entry_id in self._entry_by_alias.items()]

    def from_entities(self, entities: Iterable[Mapping[str, Any]]) -> str | None:
        """The entry named by the first profession or certificate entity that we know."""
        for entity in entities:
            if entity.get("entity") in ALIAS_KINDS:
                entry_id = self._entry_by_alias.get(normalize_phrase(str(entity.get("value", ""))))
                if entry_id:
                    return entry_id
        return None

    def from_text(self, text: str) -> str | None:
        """The entry whose alias best matches a run of words in the text, typos allowed.

        Longer aliases win over shorter ones, then closer matches over looser ones.
        """
        words = normalize_phrase(text).split()
        best: tuple[int, float, str] | None = None
        for alias_words, entry_id in self._alias_words:
            size = len(alias_words)
            for start in range(len(words) - size + 1):
                scores = [_word_similarity(w, a) for w, a in zip(words[start : start + size], alias_words, strict=True)]
                if min(scores) < FUZZY_CUTOFF:
                    continue
                candidate = (size, sum(scores) / size, entry_id)
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
        return best[2] if best else None

    def find(self, message: Mapping[str, Any]) -> str | None:
        """The entry a parsed message names, if any."""
        return self.from_entities(message.get("entities") or []) or self.from_text(str(message.get("text") or ""))
