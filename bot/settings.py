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


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name, "").strip() or default
    if value not in allowed:
        raise SettingsError(f"{name}={value!r} is not allowed; use one of: {', '.join(allowed)}")
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
        database_path: the SQLite certificate database (BOT_DATABASE).
        expiry_warning_days: a valid certificate expiring within this many days gets
            renewal advice (BOT_EXPIRY_WARNING_DAYS).
        lookup_max_failures: failed lookups allowed in a conversation before a cool-down
            (BOT_LOOKUP_MAX_FAILURES).
        lookup_cooldown_minutes: how long lookups are refused after that
            (BOT_LOOKUP_COOLDOWN_MINUTES).
        lookup_backend: "sqlite" (the embedded database) or "http" (an issuing authority's
            verification API at BOT_REGISTRY_URL) (BOT_LOOKUP_BACKEND).
        registry_url, registry_timeout, registry_retries: the HTTP backend's base URL,
            per-request timeout in seconds and number of retries (BOT_REGISTRY_URL,
            BOT_REGISTRY_TIMEOUT, BOT_REGISTRY_RETRIES).
        action_timeout: how long the Rasa server waits for a custom action before it
            tells the user the service is unavailable (BOT_ACTION_TIMEOUT).
    """

    knowledge_dir: Path
    generated_dir: Path
    language: str
    answer_confidence: float
    suggestion_count: int
    suggestion_min_confidence: float
    database_path: Path
    expiry_warning_days: int
    lookup_max_failures: int
    lookup_cooldown_minutes: int
    lookup_backend: str
    registry_url: str
    registry_timeout: float
    registry_retries: int
    action_timeout: float


def load_settings() -> Settings:
    """Reads the settings from the environment, with defaults for a local run."""
    return Settings(
        knowledge_dir=Path(os.environ.get("BOT_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge")),
        generated_dir=Path(os.environ.get("BOT_GENERATED_DIR", PROJECT_ROOT / "data" / "generated")),
        language=_choice("BOT_LANGUAGE", "en", SUPPORTED_LANGUAGES),
        answer_confidence=_float_between("BOT_ANSWER_CONFIDENCE", 0.5, 0.0, 1.0),
        suggestion_count=_int_between("BOT_SUGGESTION_COUNT", 3, 1, 10),
        suggestion_min_confidence=_float_between("BOT_SUGGESTION_MIN_CONFIDENCE", 0.02, 0.0, 1.0),
        database_path=Path(os.environ.get("BOT_DATABASE", PROJECT_ROOT / "var" / "certificates.db")),
        expiry_warning_days=_int_between("BOT_EXPIRY_WARNING_DAYS", 90, 0, 3650),
        lookup_max_failures=_int_between("BOT_LOOKUP_MAX_FAILURES", 3, 1, 100),
        lookup_cooldown_minutes=_int_between("BOT_LOOKUP_COOLDOWN_MINUTES", 15, 0, 24 * 60),
        lookup_backend=_choice("BOT_LOOKUP_BACKEND", "sqlite", ("sqlite", "http")),
        registry_url=os.environ.get("BOT_REGISTRY_URL", "").strip(),
        registry_timeout=_float_between("BOT_REGISTRY_TIMEOUT", 1.0, 0.1, 10.0),
        registry_retries=_int_between("BOT_REGISTRY_RETRIES", 2, 0, 5),
        action_timeout=_float_between("BOT_ACTION_TIMEOUT", 4.0, 0.5, 60.0),
    )


# Languages the knowledge schema accepts as text keys. English is trained today; Chinese
# text can be added beside it without a change of format.
SUPPORTED_LANGUAGES = ("en", "zh")
