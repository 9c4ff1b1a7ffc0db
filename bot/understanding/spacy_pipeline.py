"""The spaCy pipeline that recognises catalog mentions in English and Chinese: a blank
pipeline with an entity ruler whose patterns are the catalog's aliases. No model download.

spaCy's own tokenizers split either English words (Chinese then stays one long token) or
Chinese characters (English then falls apart), so this one does both: each Chinese
character is a token, and a run of letters or digits is one. A Chinese alias then matches
anywhere inside a sentence, and an English alias only as whole words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.text import HAN_CHARACTER

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

_WORD_CHARACTER = rf"(?:(?!{HAN_CHARACTER.pattern})[^\W_])"
_TOKEN = re.compile(rf"{HAN_CHARACTER.pattern}|{_WORD_CHARACTER}+(?:'{_WORD_CHARACTER}+)?|\S")


class MixedScriptTokenizer:
    """One token per Chinese character, per run of letters and digits, per other symbol."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        from spacy.tokens import Doc

        words: list[str] = []
        spaces: list[bool] = []
        for match in _TOKEN.finditer(text):
            words.append(match.group())
            spaces.append(text[match.end() : match.end() + 1].isspace())
        return Doc(self.vocab, words=words, spaces=spaces)


def build_entity_ruler(patterns: Iterable[tuple[str, str]]) -> Language:
    """A pipeline whose entity ruler labels each (label, phrase) pattern, case-insensitively."""
    import spacy  # imported here: only the NLU component needs spaCy

    nlp = spacy.blank("xx")
    nlp.tokenizer = MixedScriptTokenizer(nlp.vocab)
    # Matching on LOWER makes "Tour Guide" and "tour guide" the same mention.
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns([{"label": label, "pattern": phrase} for label, phrase in patterns])  # type: ignore[attr-defined]
    return nlp
