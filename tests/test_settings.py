from __future__ import annotations

import os

import pytest

from bot.errors import SettingsError
from bot.processes.channels import HEALTH, METRICS, REST, SLACK, TELEGRAM, WEBCHAT, channel_credentials
from bot.settings import child_environment, load_settings


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
    settings = load_settings().server
    assert settings.host == "127.0.0.1"
    assert settings.api_token == ""  # the HTTP API is off
    assert settings.telegram is None and settings.slack is None
    assert settings.origins == ("http://localhost:8080", "http://127.0.0.1:8080")


def test_the_allowed_origins_follow_the_page_port(clean_server_environment: pytest.MonkeyPatch) -> None:
    clean_server_environment.setenv("BOT_WEB_PORT", "9000")
    assert load_settings().server.origins == ("http://localhost:9000", "http://127.0.0.1:9000")
    clean_server_environment.setenv("BOT_WEB_ALLOWED_ORIGINS", "https://example.org/, https://www.example.org")
    assert load_settings().server.origins == ("https://example.org", "https://www.example.org")


def test_channels_are_on_when_their_token_is_set(clean_server_environment: pytest.MonkeyPatch) -> None:
    patch = clean_server_environment
    patch.setenv("BOT_TELEGRAM_TOKEN", "1:abc")
    patch.setenv("BOT_TELEGRAM_SECRET_TOKEN", "s3cret")
    patch.setenv("BOT_TELEGRAM_WEBHOOK_URL", "https://example.org/webhooks/telegram/webhook")
    patch.setenv("BOT_SLACK_TOKEN", "xoxb-1")
    patch.setenv("BOT_SLACK_SIGNING_SECRET", "signing")
    patch.setenv("BOT_SLACK_API_BASE", "http://127.0.0.1:9/api")
    settings = load_settings().server
    assert settings.telegram and settings.telegram.api_base == "https://api.telegram.org"
    assert settings.slack and settings.slack.api_base == "http://127.0.0.1:9/api/"
    assert list(channel_credentials(settings)) == [HEALTH, METRICS, REST, WEBCHAT, TELEGRAM, SLACK]


def test_only_rest_and_the_widget_by_default(clean_server_environment: pytest.MonkeyPatch) -> None:
    assert list(channel_credentials(load_settings().server)) == [HEALTH, METRICS, REST, WEBCHAT]


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
        load_settings()


@pytest.mark.parametrize("scaled", [False, True])
def test_a_child_process_reads_back_the_same_settings(clean_server_environment: pytest.MonkeyPatch,
                                                      scaled: bool) -> None:
    patch = clean_server_environment
    patch.setenv("BOT_TELEGRAM_TOKEN", "1:abc")
    patch.setenv("BOT_TELEGRAM_SECRET_TOKEN", "s3cret")
    patch.setenv("BOT_TELEGRAM_WEBHOOK_URL", "https://example.org/webhooks/telegram/webhook")
    patch.setenv("BOT_WEB_ALLOWED_ORIGINS", "https://example.org, https://www.example.org")
    patch.setenv("BOT_ACTION_TIMEOUT", "2.5")
    settings = load_settings(scaled=scaled).with_server(rasa_port=6001, workers=3)
    assert load_settings(settings.environment()) == settings


def test_the_scaled_out_defaults_share_the_state_in_postgresql_and_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOT_TRACKER_DB_URL", "BOT_LOOKUP_BACKEND", "BOT_LOCK_STORE", "BOT_LIMITS_URL", "BOT_SOCKETIO_MANAGER",
                 "BOT_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_POSTGRES_URL", "postgresql://db.example/assistant")
    monkeypatch.setenv("BOT_REDIS_URL", "redis://cache.example:6379/2")
    monkeypatch.setenv("BOT_LOCK_STORE", "sqlite")  # what the environment sets wins
    settings = load_settings(scaled=True)
    assert (settings.tracker_db_url, settings.certificates_db_url) == ("postgresql://db.example/assistant",) * 2
    assert (settings.lookup_backend, settings.limits_url) == ("postgresql", "redis://cache.example:6379/2")
    assert (settings.lock_store, settings.server.socketio_manager, settings.server.trusted_proxies) == \
        ("sqlite", "redis", 1)
    local = load_settings()
    assert (local.lookup_backend, local.lock_store, local.server.trusted_proxies) == ("sqlite", "sqlite", 0)


def test_a_child_gets_no_bot_variable_but_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_NOT_A_SETTING", "left over")
    monkeypatch.setenv("BOT_RASA_PORT", "5005")
    environment = child_environment(load_settings().with_server(rasa_port=6002))
    assert "BOT_NOT_A_SETTING" not in environment and environment["BOT_RASA_PORT"] == "6002"
    assert environment["PATH"] == os.environ["PATH"]
