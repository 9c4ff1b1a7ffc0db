"""Groups questions that are worded alike, by their character n-grams: two characters for
Chinese (「二建要注册吗」 and 「二建需要注册吗」 share 二建, 注册 ...), three letters for
English words, which works for both languages without a tokenizer or a model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.text import HAN_CHARACTER, normalize_phrase

# Two questions whose n-gram sets overlap at least this much (Jaccard) are in one group.
SIMILARITY = 0.4


@dataclass(frozen=True)
class Question:
    id: int
    text: str
    language: str
    outcome: str
    asked_at: float


@dataclass
class Group:
    """Questions worded alike; named by its oldest question's id ("g17"), the most often
    asked wording first."""

    questions: list[Question] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"g{min(question.id for question in self.questions)}"

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def wordings(self) -> list[str]:
        """Its distinct wordings (as first written; case, punctuation and traditional
        characters aside), the most often asked first."""
        counts: dict[str, int] = {}
        written: dict[str, str] = {}
        for question in self.questions:
            key = normalize_phrase(question.text)
            written.setdefault(key, question.text)
            counts[key] = counts.get(key, 0) + 1
        return [written[key] for key in sorted(counts, key=lambda key: (-counts[key], key))]

    @property
    def languages(self) -> list[str]:
        return sorted({question.language for question in self.questions})

    @property
    def outcomes(self) -> list[str]:
        return sorted({question.outcome for question in self.questions})

    @property
    def last_asked(self) -> float:
        return max(question.asked_at for question in self.questions)


def ngrams(text: str) -> frozenset[str]:
    """Character bigrams of its Chinese, trigrams of its other words."""
    grams: set[str] = set()
    for run in _runs(normalize_phrase(text)):
        size = 2 if HAN_CHARACTER.match(run) else 3
        padded = run if HAN_CHARACTER.match(run) else f" {run} "
        grams.update(padded[i:i + size] for i in range(max(1, len(padded) - size + 1)))
    return frozenset(grams)


def _runs(text: str) -> list[str]:
    """The text cut into runs of Chinese characters and of other words."""
    runs: list[str] = []
    for word in text.split():
        current = ""
        for char in word:
            if current and bool(HAN_CHARACTER.match(char)) != bool(HAN_CHARACTER.match(current[-1])):
                runs.append(current)
                current = ""
            current += char
        if current:
            runs.append(current)
    return runs


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    union = first | second
    return len(first & second) / len(union) if union else 0.0


def group_questions(questions: Sequence[Question], threshold: float = SIMILARITY) -> list[Group]:
    """Groups of alike questions (a question joins every group it is alike to, which then
    merge), the most often asked first."""
    parent = list(range(len(questions)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    grams = [ngrams(question.text) for question in questions]
    for i in range(len(questions)):
        for j in range(i):
            if grams[i] and similarity(grams[i], grams[j]) >= threshold:
                parent[root(i)] = root(j)
    groups: dict[int, Group] = {}
    for index, question in enumerate(questions):
        groups.setdefault(root(index), Group()).questions.append(question)
    return sorted(groups.values(), key=lambda group: (-group.count, -group.last_asked))
