"""The spaCy entity ruler recognises catalog mentions in English and Chinese text."""

from __future__ import annotations

import pytest
from spacy.language import Language

from bot.knowledge.model import ALIAS_KINDS, KnowledgeBase
from bot.understanding.spacy_pipeline import build_entity_ruler


@pytest.fixture(scope="module")
def nlp(kb: KnowledgeBase) -> Language:
    return build_entity_ruler(
        (kind, alias) for entry in kb.catalog for aliases in entry.aliases.values()
        for kind in ALIAS_KINDS for alias in aliases[kind]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Do Tour Guides need a certificate?", [("Tour Guides", "profession")]),
        ("does a safety production manager certificate expire",
         [("safety production manager certificate", "certificate")]),
        ("teachers and lawyers", [("teachers", "profession"), ("lawyers", "profession")]),
        ("how do I renew it", []),
        ("做导游要不要证", [("导游", "profession")]),
        ("教师资格证怎么查真假", [("教师资格证", "certificate")]),
        ("How do I check my 电工证 status?", [("电工证", "certificate")]),
        ("我想问问那个律师呢", [("律师", "profession")]),
    ],
)
def test_mentions_are_recognised(nlp: Language, text: str, expected: list[tuple[str, str]]) -> None:
    assert [(ent.text, ent.label_) for ent in nlp(text).ents] == expected


def test_english_aliases_match_whole_words_only(nlp: Language) -> None:
    assert [ent.text for ent in nlp("the guidelines of a lawyerly teacherish style").ents] == []


def test_the_text_is_kept_exactly(nlp: Language) -> None:
    text = "What's a CPA证? 安全员证 expired…"
    assert nlp(text).text == text
