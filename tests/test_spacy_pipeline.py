"""The spaCy pipeline built from the generated patterns recognises catalog mentions."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from bot.compiler import ENTITY_PATTERNS
from bot.settings import Settings
from bot.spacy_pipeline import build_entity_pipeline


@pytest.fixture(scope="module")
def nlp(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> spacy.language.Language:
    out = tmp_path_factory.mktemp("spacy") / "pipeline"
    assert build_entity_pipeline(settings.generated_dir / ENTITY_PATTERNS, out) > 100
    return spacy.load(out)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Do Tour Guides need a certificate?", [("Tour Guides", "profession", "tour_guide")]),
        ("does a safety production manager certificate expire",
         [("safety production manager certificate", "certificate", "safety_production_manager")]),
        ("what certificate does an electrician need", [("electrician", "profession", "electrician")]),
        ("teachers and lawyers", [("teachers", "profession", "teacher"), ("lawyers", "profession", "lawyer")]),
        ("how do I renew it", []),
    ],
)
def test_mentions_are_recognised(nlp: spacy.language.Language, text: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(ent.text, ent.label_, ent.ent_id_) for ent in nlp(text).ents] == expected


def test_missing_patterns_file_is_a_clear_error(tmp_path: Path) -> None:
    from bot.errors import BotError

    with pytest.raises(BotError, match="run `python -m bot compile` first"):
        build_entity_pipeline(tmp_path / "absent.jsonl", tmp_path / "out")
