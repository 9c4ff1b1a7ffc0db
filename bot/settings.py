"""The one module that reads the environment. Everything configurable lives here."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The PostgreSQL and Redis that run on the machine, for the scaled-out deployment's defaults.
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/certificate_assistant"
REDIS_URL = "redis://127.0.0.1:6379/0"


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


def _text(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def _url(name: str, default: str = "") -> str:
    value = _text(name, default)
    if value and not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name}={value!r} must be an http:// or https:// URL")
    return value


def _required(name: str, required_by: str, read: Callable[[str], str] = _text) -> str:
    value = read(name)
    if not value:
        raise SettingsError(f"{name} must be set when {required_by} is set")
    return value


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = _text(name, default)
    if value not in allowed:
        raise SettingsError(f"{name}={value!r} is not allowed; use one of: {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class Settings:
    """Settings for the knowledge compiler and the custom actions.

    Attributes:
        knowledge_dir: where the curated knowledge base lives (BOT_KNOWLEDGE_DIR).
        generated_dir: where the compiler writes Rasa training data (BOT_GENERATED_DIR).
        answer_confidence: the answer-selection confidence below which the assistant
            offers "Did you mean" buttons instead of answering (BOT_ANSWER_CONFIDENCE).
        suggestion_count: how many buttons it offers (BOT_SUGGESTION_COUNT).
        suggestion_min_confidence: candidates below this are not offered
            (BOT_SUGGESTION_MIN_CONFIDENCE).
        database_path: the SQLite certificate database (BOT_DATABASE).
        expiry_warning_days: a valid certificate expiring within this many days gets
            renewal advice (BOT_EXPIRY_WARNING_DAYS).
        lookup_max_failures: failed lookups of one certificate number, from anyone, after
            which that number's lookups are refused to everyone (BOT_LOOKUP_MAX_FAILURES)...
        lookup_failure_window_hours: ...until this many hours after its first failure
            (BOT_LOOKUP_FAILURE_WINDOW_HOURS).
        lookups_per_client_per_hour: lookups one client may make in an hour
            (BOT_LOOKUPS_PER_CLIENT_PER_HOUR); bot.clients says who a client is.
        limits_url: where those counters and the channels' rate limits are kept
            (BOT_LIMITS_URL): sqlite:///path (the default, under var/) for one machine,
            redis://host:port/db for several.
        lookup_backend: "sqlite" (the embedded database at BOT_DATABASE), "postgresql" (at
            BOT_CERTIFICATES_DB_URL) or "http" (an issuing authority's verification API at
            BOT_REGISTRY_URL) (BOT_LOOKUP_BACKEND).
        certificates_db_url: the PostgreSQL database of certificates, e.g.
            postgresql://user:password@host/dbname (BOT_CERTIFICATES_DB_URL, by default
            BOT_POSTGRES_URL); created if the server has none of that name.
        registry_url, registry_timeout, registry_retries: the HTTP backend's base URL,
            per-request timeout in seconds and number of retries (BOT_REGISTRY_URL,
            BOT_REGISTRY_TIMEOUT, BOT_REGISTRY_RETRIES).
        action_timeout: how long the Rasa server waits for a custom action before it
            tells the user the service is unavailable (BOT_ACTION_TIMEOUT).
        conversation_turns: how many recent user messages of a conversation the Rasa
            server keeps; slots carry the rest (BOT_CONVERSATION_TURNS).
        conversation_retention_days: conversations untouched for longer are deleted by
            `python -m bot conversations purge`, which `make run` runs at start and daily
            (BOT_CONVERSATION_RETENTION_DAYS).
        tracker_db_url: the SQLAlchemy URL of the database that keeps conversations
            (BOT_TRACKER_DB_URL); SQLite under var/ by default, or e.g.
            postgresql://user:password@host/dbname.
        lock_store: where the Rasa server processes take turns on a conversation
            (BOT_LOCK_STORE): "sqlite", a file that the processes of one machine share
            (BOT_LOCK_DB), or "redis", which replicas on several machines share (BOT_REDIS_URL).
        lock_db_path: that SQLite file (BOT_LOCK_DB).
        postgres_url: the PostgreSQL of the certificates (unless BOT_CERTIFICATES_DB_URL
            says otherwise) and, under `make run-scaled`, of the conversations (unless
            BOT_TRACKER_DB_URL does) (BOT_POSTGRES_URL; bot.scaled).
        redis_url: the Redis that replicas on several machines share (BOT_REDIS_URL), for
            their locks (BOT_LOCK_STORE=redis) and the web widget's replies
            (BOT_SOCKETIO_MANAGER=redis).
    """

    knowledge_dir: Path
    generated_dir: Path
    answer_confidence: float
    suggestion_count: int
    suggestion_min_confidence: float
    database_path: Path
    expiry_warning_days: int
    lookup_max_failures: int
    lookup_failure_window_hours: int
    lookups_per_client_per_hour: int
    limits_url: str
    lookup_backend: str
    certificates_db_url: str
    registry_url: str
    registry_timeout: float
    registry_retries: int
    action_timeout: float
    conversation_turns: int
    conversation_retention_days: int
    tracker_db_url: str
    lock_store: str
    lock_db_path: Path
    postgres_url: str
    redis_url: str


def load_settings() -> Settings:
    """Reads the settings from the environment, with defaults for a local run."""
    postgres_url = _text("BOT_POSTGRES_URL", POSTGRES_URL)
    return Settings(
        knowledge_dir=Path(os.environ.get("BOT_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge")),
        generated_dir=Path(os.environ.get("BOT_GENERATED_DIR", PROJECT_ROOT / "data" / "generated")),
        answer_confidence=_float_between("BOT_ANSWER_CONFIDENCE", 0.5, 0.0, 1.0),
        suggestion_count=_int_between("BOT_SUGGESTION_COUNT", 3, 1, 10),
        suggestion_min_confidence=_float_between("BOT_SUGGESTION_MIN_CONFIDENCE", 0.02, 0.0, 1.0),
        database_path=Path(os.environ.get("BOT_DATABASE", PROJECT_ROOT / "var" / "certificates.db")),
        expiry_warning_days=_int_between("BOT_EXPIRY_WARNING_DAYS", 90, 0, 3650),
        lookup_max_failures=_int_between("BOT_LOOKUP_MAX_FAILURES", 3, 1, 100),
        lookup_failure_window_hours=_int_between("BOT_LOOKUP_FAILURE_WINDOW_HOURS", 24, 1, 24 * 30),
        lookups_per_client_per_hour=_int_between("BOT_LOOKUPS_PER_CLIENT_PER_HOUR", 10, 1, 1_000_000),
        limits_url=_text("BOT_LIMITS_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'limits.db'}"),
        lookup_backend=_choice("BOT_LOOKUP_BACKEND", "sqlite", ("sqlite", "postgresql", "http")),
        certificates_db_url=_text("BOT_CERTIFICATES_DB_URL", postgres_url),
        registry_url=os.environ.get("BOT_REGISTRY_URL", "").strip(),
        registry_timeout=_float_between("BOT_REGISTRY_TIMEOUT", 1.0, 0.1, 10.0),
        registry_retries=_int_between("BOT_REGISTRY_RETRIES", 2, 0, 5),
        action_timeout=_float_between("BOT_ACTION_TIMEOUT", 4.0, 0.5, 60.0),
        conversation_turns=_int_between("BOT_CONVERSATION_TURNS", 5, 3, 1000),
        conversation_retention_days=_int_between("BOT_CONVERSATION_RETENTION_DAYS", 30, 1, 3650),
        tracker_db_url=_text("BOT_TRACKER_DB_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'conversations.db'}"),
        lock_store=_choice("BOT_LOCK_STORE", "sqlite", ("sqlite", "redis")),
        lock_db_path=Path(os.environ.get("BOT_LOCK_DB", PROJECT_ROOT / "var" / "locks.db")),
        postgres_url=postgres_url,
        redis_url=_text("BOT_REDIS_URL", REDIS_URL),
    )


# Telegram allows 1-256 of these characters in a webhook secret token.
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram connector, on when BOT_TELEGRAM_TOKEN is set.

    Attributes:
        token: the bot token from @BotFather (BOT_TELEGRAM_TOKEN).
        webhook_url: the public HTTPS address Telegram posts updates to, ending in
            /webhooks/telegram/webhook (BOT_TELEGRAM_WEBHOOK_URL).
        secret_token: the secret Telegram sends back in every webhook's
            X-Telegram-Bot-Api-Secret-Token header (BOT_TELEGRAM_SECRET_TOKEN).
        api_base: the Bot API's base URL (BOT_TELEGRAM_API_BASE).
    """

    token: str
    webhook_url: str
    secret_token: str
    api_base: str


@dataclass(frozen=True)
class SlackSettings:
    """The Slack connector, on when BOT_SLACK_TOKEN is set.

    Attributes:
        token: the bot user OAuth token, xoxb-... (BOT_SLACK_TOKEN).
        signing_secret: the app's signing secret (BOT_SLACK_SIGNING_SECRET).
        replay_window_seconds: requests signed longer ago than this are rejected
            (BOT_SLACK_REPLAY_WINDOW_SECONDS).
        api_base: the Web API's base URL (BOT_SLACK_API_BASE).
    """

    token: str
    signing_secret: str
    replay_window_seconds: int
    api_base: str


@dataclass(frozen=True)
class ServerSettings:
    """Where the servers listen and which channels they open.

    Attributes:
        host: the address the Rasa server, the action server and the web page listen on
            (BOT_HOST); localhost keeps them off the network.
        rasa_port, action_port, web_port: their ports (BOT_RASA_PORT, BOT_ACTION_PORT,
            BOT_WEB_PORT).
        socket_url: where the page's widget finds the Rasa server's socket.io channel
            (BOT_WEB_SOCKET_URL); empty means the page's own host name at rasa_port.
        allowed_origins: the web origins the socket.io channel accepts
            (BOT_WEB_ALLOWED_ORIGINS, comma-separated); empty means the page's own
            origin, http://localhost:<web_port> and http://127.0.0.1:<web_port>.
        api_token: turns on Rasa's HTTP API, guarded by this token (BOT_RASA_API_TOKEN);
            empty keeps it off.
        workers: how many Rasa server processes share the port (BOT_SERVER_WORKERS); each
            loads the model (about 1 GB) and uses a core.
        messages_per_minute, conversations_per_hour: what one client may send
            (BOT_MESSAGES_PER_MINUTE, BOT_CONVERSATIONS_PER_HOUR); more gets HTTP 429 or a
            polite reply.
        messages_at_once: how many messages of one client a Rasa server process answers
            at the same time (BOT_MESSAGES_AT_ONCE); more are refused the same way.
        max_request_bytes: larger request bodies are refused with 413 before they are
            read (BOT_MAX_REQUEST_BYTES).
        trusted_proxies: how many reverse proxies in front of the Rasa server add the
            client's address to X-Forwarded-For (BOT_TRUSTED_PROXIES); 0 trusts no header.
        real_ip_header: a header that a trusted proxy sets to the client's address instead,
            such as X-Real-IP (BOT_REAL_IP_HEADER).
        socketio_manager: "local", or "redis" when several replicas serve the widget: its
            replies then go through BOT_REDIS_URL and reach the user whichever replica
            produced them (BOT_SOCKETIO_MANAGER).
        telegram, slack: the messaging connectors, None when off.
    """

    host: str
    rasa_port: int
    action_port: int
    web_port: int
    socket_url: str
    allowed_origins: tuple[str, ...]
    api_token: str
    workers: int
    messages_per_minute: int
    conversations_per_hour: int
    messages_at_once: int
    max_request_bytes: int
    trusted_proxies: int
    real_ip_header: str
    socketio_manager: str
    telegram: TelegramSettings | None
    slack: SlackSettings | None


def _telegram_settings() -> TelegramSettings | None:
    token = _text("BOT_TELEGRAM_TOKEN")
    if not token:
        return None
    secret = _required("BOT_TELEGRAM_SECRET_TOKEN", "BOT_TELEGRAM_TOKEN")
    if not _TELEGRAM_SECRET.fullmatch(secret):
        raise SettingsError("BOT_TELEGRAM_SECRET_TOKEN may hold only A-Z, a-z, 0-9, _ and -, at most 256 of them")
    webhook_url = _required("BOT_TELEGRAM_WEBHOOK_URL", "BOT_TELEGRAM_TOKEN", _url)
    return TelegramSettings(token=token, webhook_url=webhook_url, secret_token=secret,
                            api_base=_url("BOT_TELEGRAM_API_BASE", "https://api.telegram.org"))


def _slack_settings() -> SlackSettings | None:
    token = _text("BOT_SLACK_TOKEN")
    if not token:
        return None
    api_base = _url("BOT_SLACK_API_BASE", "https://slack.com/api/")
    return SlackSettings(
        token=token,
        signing_secret=_required("BOT_SLACK_SIGNING_SECRET", "BOT_SLACK_TOKEN"),
        replay_window_seconds=_int_between("BOT_SLACK_REPLAY_WINDOW_SECONDS", 300, 1, 3600),
        api_base=api_base if api_base.endswith("/") else api_base + "/",  # the Slack client appends method names
    )


def load_server_settings() -> ServerSettings:
    """Reads the servers' and channels' settings from the environment."""
    web_port = _int_between("BOT_WEB_PORT", 8080, 1, 65535)
    origins = tuple(origin.strip().rstrip("/") for origin in _text("BOT_WEB_ALLOWED_ORIGINS").split(",")
                    if origin.strip())
    for origin in origins:
        if not origin.startswith(("http://", "https://")):
            raise SettingsError(f"BOT_WEB_ALLOWED_ORIGINS: {origin!r} must start with http:// or https://")
    return ServerSettings(
        host=_text("BOT_HOST", "127.0.0.1"),
        rasa_port=_int_between("BOT_RASA_PORT", 5005, 1, 65535),
        action_port=_int_between("BOT_ACTION_PORT", 5055, 1, 65535),
        web_port=web_port,
        socket_url=_url("BOT_WEB_SOCKET_URL").rstrip("/"),
        allowed_origins=origins or (f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"),
        api_token=_text("BOT_RASA_API_TOKEN"),
        workers=_int_between("BOT_SERVER_WORKERS", 2, 1, 64),
        messages_per_minute=_int_between("BOT_MESSAGES_PER_MINUTE", 30, 1, 1_000_000),
        conversations_per_hour=_int_between("BOT_CONVERSATIONS_PER_HOUR", 20, 1, 1_000_000),
        messages_at_once=_int_between("BOT_MESSAGES_AT_ONCE", 2, 1, 1_000_000),
        max_request_bytes=_int_between("BOT_MAX_REQUEST_BYTES", 16_384, 1024, 10_000_000),
        trusted_proxies=_int_between("BOT_TRUSTED_PROXIES", 0, 0, 10),
        real_ip_header=_text("BOT_REAL_IP_HEADER"),
        socketio_manager=_choice("BOT_SOCKETIO_MANAGER", "local", ("local", "redis")),
        telegram=_telegram_settings(),
        slack=_slack_settings(),
    )
