from __future__ import annotations

import pytest

from bot.errors import SettingsError
from bot.settings import load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOT_LANGUAGE", "BOT_ANSWER_CONFIDENCE", "BOT_SUGGESTION_COUNT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.language, settings.answer_confidence, settings.suggestion_count) == ("en", 0.5, 3)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BOT_ANSWER_CONFIDENCE", "1.5", "must be between 0.0 and 1.0"),
        ("BOT_SUGGESTION_COUNT", "three", "is not a whole number"),
        ("BOT_SUGGESTION_COUNT", "0", "must be between 1 and 10"),
        ("BOT_LANGUAGE", "fr", "is not allowed"),
        ("BOT_LOOKUP_BACKEND", "postgres", "is not allowed"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings()
    assert name in str(caught.value)
