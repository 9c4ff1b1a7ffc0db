from __future__ import annotations

import pytest

from bot.channels import HEALTH, REST, SLACK, TELEGRAM, WEBCHAT, channel_credentials
from bot.errors import SettingsError
from bot.settings import load_server_settings, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOT_ANSWER_CONFIDENCE", "BOT_SUGGESTION_COUNT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.answer_confidence, settings.suggestion_count) == (0.5, 3)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BOT_ANSWER_CONFIDENCE", "1.5", "must be between 0.0 and 1.0"),
        ("BOT_SUGGESTION_COUNT", "three", "is not a whole number"),
        ("BOT_SUGGESTION_COUNT", "0", "must be between 1 and 10"),
        ("BOT_LOOKUP_BACKEND", "postgres", "is not allowed"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings()
    assert name in str(caught.value)


CHANNEL_VARIABLES = ("BOT_TELEGRAM_TOKEN", "BOT_TELEGRAM_SECRET_TOKEN", "BOT_TELEGRAM_WEBHOOK_URL",
                     "BOT_TELEGRAM_API_BASE", "BOT_SLACK_TOKEN", "BOT_SLACK_SIGNING_SECRET", "BOT_SLACK_API_BASE",
                     "BOT_WEB_PORT", "BOT_WEB_ALLOWED_ORIGINS", "BOT_HOST", "BOT_RASA_API_TOKEN")


@pytest.fixture
def clean_server_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_server_defaults_are_safe(clean_server_environment: pytest.MonkeyPatch) -> None:
    settings = load_server_settings()
    assert settings.host == "127.0.0.1"
    assert settings.api_token == ""  # the HTTP API is off
    assert settings.telegram is None and settings.slack is None
    assert settings.allowed_origins == ("http://localhost:8080", "http://127.0.0.1:8080")


def test_the_allowed_origins_follow_the_page_port(clean_server_environment: pytest.MonkeyPatch) -> None:
    clean_server_environment.setenv("BOT_WEB_PORT", "9000")
    assert load_server_settings().allowed_origins == ("http://localhost:9000", "http://127.0.0.1:9000")
    clean_server_environment.setenv("BOT_WEB_ALLOWED_ORIGINS", "https://example.org/, https://www.example.org")
    assert load_server_settings().allowed_origins == ("https://example.org", "https://www.example.org")


def test_channels_are_on_when_their_token_is_set(clean_server_environment: pytest.MonkeyPatch) -> None:
    patch = clean_server_environment
    patch.setenv("BOT_TELEGRAM_TOKEN", "1:abc")
    patch.setenv("BOT_TELEGRAM_SECRET_TOKEN", "s3cret")
    patch.setenv("BOT_TELEGRAM_WEBHOOK_URL", "https://example.org/webhooks/telegram/webhook")
    patch.setenv("BOT_SLACK_TOKEN", "xoxb-1")
    patch.setenv("BOT_SLACK_SIGNING_SECRET", "signing")
    patch.setenv("BOT_SLACK_API_BASE", "http://127.0.0.1:9/api")
    settings = load_server_settings()
    assert settings.telegram and settings.telegram.api_base == "https://api.telegram.org"
    assert settings.slack and settings.slack.api_base == "http://127.0.0.1:9/api/"
    assert list(channel_credentials(settings)) == [HEALTH, REST, WEBCHAT, TELEGRAM, SLACK]


def test_only_rest_and_the_widget_by_default(clean_server_environment: pytest.MonkeyPatch) -> None:
    assert list(channel_credentials(load_server_settings())) == [HEALTH, REST, WEBCHAT]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"BOT_TELEGRAM_TOKEN": "1:abc"}, "BOT_TELEGRAM_SECRET_TOKEN must be set"),
        ({"BOT_TELEGRAM_TOKEN": "1:abc", "BOT_TELEGRAM_SECRET_TOKEN": "has spaces"}, "may hold only"),
        ({"BOT_TELEGRAM_TOKEN": "1:abc", "BOT_TELEGRAM_SECRET_TOKEN": "ok"}, "BOT_TELEGRAM_WEBHOOK_URL must be set"),
        ({"BOT_TELEGRAM_TOKEN": "1:abc", "BOT_TELEGRAM_SECRET_TOKEN": "ok", "BOT_TELEGRAM_WEBHOOK_URL": "example.org"},
         "must be an http"),
        ({"BOT_SLACK_TOKEN": "xoxb-1"}, "BOT_SLACK_SIGNING_SECRET must be set"),
        ({"BOT_WEB_ALLOWED_ORIGINS": "example.org"}, "must start with http"),
        ({"BOT_WEB_PORT": "80000"}, "BOT_WEB_PORT"),
    ],
)
def test_incomplete_channel_settings_say_what_is_missing(clean_server_environment: pytest.MonkeyPatch,
                                                         variables: dict[str, str], message: str) -> None:
    for name, value in variables.items():
        clean_server_environment.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_server_settings()
