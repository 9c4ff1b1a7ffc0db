"""Text rules shared by the knowledge compiler, the NLU components and the actions: how text
is normalised, compared and folded, and which language a message is written in."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

# The languages the knowledge holds; every text exists in each of them.
LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"

# CJK unified ideographs (with extension A and the compatibility block).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_CHARACTER = re.compile(f"[{_HAN}]")
_CJK_PUNCTUATION = "，。、；：？！（）「」『』《》【】“”‘’…—"
# Words that carry a language: letters only, two or more of them. "ok", "1" and
# certificate numbers such as SPM-2022-004417 say nothing about the language.
_LATIN_WORD = re.compile(r"(?<![\w-])[A-Za-z]{2,}(?![\w-])")
_NEUTRAL_WORDS = frozenset({"ok", "okay", "hi", "yes", "no", "cpa", "pdf", "qr", "app"})


@lru_cache(maxsize=1)
def _to_simplified() -> Any:  # opencc has no type information
    import opencc  # imported on first use: its dictionaries take a moment to load

    return opencc.OpenCC("t2s")


def normalize_text(text: str) -> str:
    """Full-width letters and digits to half-width (NFKC), traditional to simplified Chinese."""
    # Curly apostrophes ("driver’s") are the straight one.
    folded = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    if HAN_CHARACTER.search(folded):
        folded = str(_to_simplified().convert(folded))
    return folded


def normalize_phrase(text: str) -> str:
    """The form in which phrasings and aliases are compared: normalised, lower-case,
    punctuation and spacing folded."""
    folded = re.sub(r"[^\w\s']", " ", normalize_text(text).lower())
    return " ".join(folded.split())


def fold_lines(text: str) -> str:
    """Folds white space as YAML's `>-` does, but joins two Chinese characters without a
    space (a line break inside a Chinese sentence is not a word gap)."""
    joined = re.sub(rf"(?<=[{_HAN}{_CJK_PUNCTUATION}])\s+(?=[{_HAN}{_CJK_PUNCTUATION}])", "", text)
    return " ".join(joined.split())


def detect_language(text: str) -> str | None:
    """The language a message is written in, or None when it has no clear language
    (a number, "ok", a button payload): then the conversation keeps its language."""
    if text.startswith("/"):
        return None
    han = len(HAN_CHARACTER.findall(text))
    words = [word for word in _LATIN_WORD.findall(text) if word.lower() not in _NEUTRAL_WORDS]
    if han and han >= len(words):
        return "zh"
    if len(words) >= 2 or (words and not han):
        return "en"
    return None


def join_sentences(first: str, second: str, language: str) -> str:
    """Two texts as one paragraph: Chinese sentences follow each other without a space."""
    return f"{first}{second}" if language == "zh" else f"{first} {second}"


def shortened(text: str, limit: int, size: Callable[[str], int] = len) -> str:
    """`text`, or as much of it as fits in `limit` with "…" after it; `size` measures
    (characters unless told: a platform may count bytes)."""
    if size(text) <= limit:
        return text
    end = len(text) - 1
    while end > 0 and size(text[:end] + "…") > limit:
        end -= 1
    return text[:end] + "…"
