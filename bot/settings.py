"""The one module that reads the environment. Everything configurable lives here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _float_between(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw!r} must be between {low} and {high}")
    return value


def _int_between(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw!r} must be between {low} and {high}")
    return value


@dataclass(frozen=True)
class Settings:
    """Settings for the knowledge compiler and the custom actions.

    Attributes:
        knowledge_dir: where the curated knowledge base lives (BOT_KNOWLEDGE_DIR).
        generated_dir: where the compiler writes Rasa training data (BOT_GENERATED_DIR).
        language: the language the assistant answers in (BOT_LANGUAGE).
        answer_confidence: the answer-selection confidence below which the assistant
            offers "Did you mean" buttons instead of answering (BOT_ANSWER_CONFIDENCE).
        suggestion_count: how many buttons it offers (BOT_SUGGESTION_COUNT).
        suggestion_min_confidence: candidates below this are not offered
            (BOT_SUGGESTION_MIN_CONFIDENCE).
    """

    knowledge_dir: Path
    generated_dir: Path
    language: str
    answer_confidence: float
    suggestion_count: int
    suggestion_min_confidence: float


def load_settings() -> Settings:
    """Reads the settings from the environment, with defaults for a local run."""
    language = os.environ.get("BOT_LANGUAGE", "en").strip() or "en"
    if language not in SUPPORTED_LANGUAGES:
        raise SettingsError(
            f"BOT_LANGUAGE={language!r} is not supported; use one of {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return Settings(
        knowledge_dir=Path(os.environ.get("BOT_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge")),
        generated_dir=Path(os.environ.get("BOT_GENERATED_DIR", PROJECT_ROOT / "data" / "generated")),
        language=language,
        answer_confidence=_float_between("BOT_ANSWER_CONFIDENCE", 0.5, 0.0, 1.0),
        suggestion_count=_int_between("BOT_SUGGESTION_COUNT", 3, 1, 10),
        suggestion_min_confidence=_float_between("BOT_SUGGESTION_MIN_CONFIDENCE", 0.02, 0.0, 1.0),
    )


# Languages the knowledge schema accepts as text keys. English is trained today; Chinese
# text can be added beside it without a change of format.
SUPPORTED_LANGUAGES = ("en", "zh")
