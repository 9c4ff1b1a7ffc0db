"""Which catalog entry a message names, with entities or typed text, typos included."""

from __future__ import annotations

import pytest

from bot.dialogue import Dialogue


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("do tour guides need a certificate?", "tour_guide"),
        ("what certificate does an electrican need", "electrician"),
        ("does a safty production manager cert expire", "safety_production_manager"),
        ("What about LAWYERS?", "lawyer"),
        ("cpa", "certified_public_accountant"),
        ("i drive a forklift, forklift drivers need what", "special_equipment_operator"),
        ("is the medical licence permanent", "doctor"),
    ],
)
def test_text_mentions_are_found(dialogue: Dialogue, text: str, entry_id: str) -> None:
    assert dialogue.mentions.from_text(text) == entry_id


@pytest.mark.parametrize(
    "text",
    [
        "how can i tell if a certificate is fake",  # "a certificate" is not "cpa certificate"
        "my qualification certificate is no longer valid",
        "hello there",
        "",
    ],
)
def test_no_mention_is_invented(dialogue: Dialogue, text: str) -> None:
    assert dialogue.mentions.from_text(text) is None


def test_entities_win_over_text(dialogue: Dialogue) -> None:
    message = {"text": "teachers and doctors", "entities": [{"entity": "profession", "value": "Doctors"}]}
    assert dialogue.mentions.find(message) == "doctor"


def test_unknown_entity_value_falls_back_to_text(dialogue: Dialogue) -> None:
    message = {"text": "and for a teacher?", "entities": [{"entity": "profession", "value": "astronaut"}]}
    assert dialogue.mentions.find(message) == "teacher"
