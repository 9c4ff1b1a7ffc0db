"""The one module that reads the environment. Everything configurable lives here.

A process reads its settings once (`current_settings()`) and passes them down. A process
that starts others hands them its settings as their environment (`Settings.environment()`),
written once from the object, so every process of a deployment runs on the same values.
Each field names its environment variable; each default is written once, in the loaders
below (`load_settings`).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The PostgreSQL and Redis that run on the machine, for the scaled-out deployment's defaults.
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/certificate_assistant"
REDIS_URL = "redis://127.0.0.1:6379/0"
ENV_PREFIX = "BOT_"
_Number = TypeVar("_Number", int, float)


def _env(name: str) -> Any:
    """A field read from the environment variable `name`."""
    return field(metadata={"env": name})


def _group() -> Any:
    """A field holding a group of settings (each of its own fields names its variable)."""
    return field()


# Telegram allows 1-256 of these characters in a webhook secret token.
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram connector, on when BOT_TELEGRAM_TOKEN is set.

    Attributes:
        token: the bot token from @BotFather.
        webhook_url: the public HTTPS address Telegram posts updates to, ending in
            /webhooks/telegram/webhook.
        secret_token: the secret Telegram sends back in every webhook's
            X-Telegram-Bot-Api-Secret-Token header.
        api_base: the Bot API's base URL.
    """

    token: str = _env("BOT_TELEGRAM_TOKEN")
    webhook_url: str = _env("BOT_TELEGRAM_WEBHOOK_URL")
    secret_token: str = _env("BOT_TELEGRAM_SECRET_TOKEN")
    api_base: str = _env("BOT_TELEGRAM_API_BASE")


@dataclass(frozen=True)
class SlackSettings:
    """The Slack connector, on when BOT_SLACK_TOKEN is set.

    Attributes:
        token: the bot user OAuth token, xoxb-....
        signing_secret: the app's signing secret.
        replay_window_seconds: requests signed longer ago than this are rejected.
        api_base: the Web API's base URL.
    """

    token: str = _env("BOT_SLACK_TOKEN")
    signing_secret: str = _env("BOT_SLACK_SIGNING_SECRET")
    replay_window_seconds: int = _env("BOT_SLACK_REPLAY_WINDOW_SECONDS")
    api_base: str = _env("BOT_SLACK_API_BASE")


# WeChat's EncodingAESKey: 43 letters and digits.
_WECHAT_AES_KEY = re.compile(r"[A-Za-z0-9]{43}")


@dataclass(frozen=True)
class WechatSettings:
    """The WeChat Official Account connector, on when any of its credentials is set.

    Attributes:
        token: the Token of the account's server configuration (服务器配置), which signs
            every request WeChat sends.
        app_id, app_secret: the account's AppID and AppSecret, for the access token of the
            customer-service message API (replies sent after WeChat's 5 s).
        aes_key: the EncodingAESKey; set, the account is in safe mode (安全模式): messages
            and replies are encrypted and every message must be.
        api_base: the base URL of WeChat's API (a local fake in tests).
        replay_window_seconds: a request whose timestamp is further from now than this is
            refused: a captured request cannot be replayed later.
        reply_seconds: how long a message may take to answer in the reply to WeChat's own
            request (WeChat waits 5 s and then sends it again); a slower answer goes out
            through the customer-service API.
    """

    token: str = _env("BOT_WECHAT_TOKEN")
    app_id: str = _env("BOT_WECHAT_APP_ID")
    app_secret: str = _env("BOT_WECHAT_APP_SECRET")
    aes_key: str = _env("BOT_WECHAT_AES_KEY")
    api_base: str = _env("BOT_WECHAT_API_BASE")
    replay_window_seconds: int = _env("BOT_WECHAT_REPLAY_WINDOW_SECONDS")
    reply_seconds: float = _env("BOT_WECHAT_REPLY_SECONDS")

    @property
    def safe_mode(self) -> bool:
        return bool(self.aes_key)


@dataclass(frozen=True)
class StaffSettings:
    """The staff console (http://localhost:8080/staff/) and its logins.

    Attributes:
        session_hours: how long a login lasts.
        login_failures_per_account: failed logins to one account in 15 minutes, from
            anywhere, after which it refuses logins until the window has passed...
        login_failures_per_address: ...and the same for one address, whatever the account.
        secure_cookie: "yes" marks the session cookie Secure (sent over HTTPS only): set it
            when the console is reached through a TLS proxy.
    """

    session_hours: int = _env("BOT_STAFF_SESSION_HOURS")
    login_failures_per_account: int = _env("BOT_STAFF_LOGIN_FAILURES_PER_ACCOUNT")
    login_failures_per_address: int = _env("BOT_STAFF_LOGIN_FAILURES_PER_ADDRESS")
    secure_cookie: str = _env("BOT_STAFF_SECURE_COOKIE")


@dataclass(frozen=True)
class HandoffSettings:
    """Handing a conversation to staff (bot.handoff).

    Attributes:
        wait_seconds: how long a user waits for a member of staff to take the conversation
            before being told nobody could and offered to leave a message
            (BOT_HANDOFF_WAIT_SECONDS).
        staff_hours: when staff can take conversations, in the server's time zone, e.g.
            "mon-fri 09:00-18:00; sat 10:00-14:00" (BOT_STAFF_HOURS); empty: whenever a
            member of staff is available in the console.
        notify_url: receives a JSON POST for each request for a person and each ticket
            (BOT_STAFF_NOTIFY_URL); empty: none is sent.
    """

    wait_seconds: int = _env("BOT_HANDOFF_WAIT_SECONDS")
    staff_hours: str = _env("BOT_STAFF_HOURS")
    notify_url: str = _env("BOT_STAFF_NOTIFY_URL")


@dataclass(frozen=True)
class ServerSettings:
    """Where the servers listen and which channels they open.

    Attributes:
        host: the address the Rasa server, the action server and the web page listen on;
            localhost keeps them off the network.
        rasa_port, action_port, web_port: their ports.
        socket_url: where the page's widget finds the Rasa server's socket.io channel;
            empty means the page's own host name at rasa_port.
        allowed_origins: the web origins the socket.io channel accepts (comma-separated);
            empty means the page's own origin (`origins`).
        api_token: turns on Rasa's HTTP API, guarded by this token; empty keeps it off.
        workers: how many Rasa server processes share the port; each loads the model
            (about 1 GB) and uses a core.
        messages_per_minute, conversations_per_hour: what one client may send; more gets
            HTTP 429 or a polite reply.
        messages_at_once: how many messages of one client a Rasa server process answers
            at the same time; more are refused the same way.
        max_request_bytes: larger request bodies are refused with 413 before they are read.
        trusted_proxies: how many reverse proxies in front of the Rasa server add the
            client's address to X-Forwarded-For; 0 trusts no header.
        real_ip_header: a header that a trusted proxy sets to the client's address instead,
            such as X-Real-IP.
        socketio_manager: "local", or "redis" when several replicas serve the widget: its
            replies then go through BOT_REDIS_URL and reach the user whichever replica
            produced them.
        telegram, slack, wechat: the messaging connectors, None when off.
    """

    host: str = _env("BOT_HOST")
    rasa_port: int = _env("BOT_RASA_PORT")
    action_port: int = _env("BOT_ACTION_PORT")
    web_port: int = _env("BOT_WEB_PORT")
    socket_url: str = _env("BOT_WEB_SOCKET_URL")
    allowed_origins: tuple[str, ...] = _env("BOT_WEB_ALLOWED_ORIGINS")
    api_token: str = _env("BOT_RASA_API_TOKEN")
    workers: int = _env("BOT_SERVER_WORKERS")
    messages_per_minute: int = _env("BOT_MESSAGES_PER_MINUTE")
    conversations_per_hour: int = _env("BOT_CONVERSATIONS_PER_HOUR")
    messages_at_once: int = _env("BOT_MESSAGES_AT_ONCE")
    max_request_bytes: int = _env("BOT_MAX_REQUEST_BYTES")
    trusted_proxies: int = _env("BOT_TRUSTED_PROXIES")
    real_ip_header: str = _env("BOT_REAL_IP_HEADER")
    socketio_manager: str = _env("BOT_SOCKETIO_MANAGER")
    telegram: TelegramSettings | None = _group()
    slack: SlackSettings | None = _group()
    wechat: WechatSettings | None = _group()

    @property
    def origins(self) -> tuple[str, ...]:
        """The origins the widget's channel accepts: the configured ones, or the page's own."""
        return self.allowed_origins or (f"http://localhost:{self.web_port}", f"http://127.0.0.1:{self.web_port}")

    @property
    def action_url(self) -> str:
        """Where the Rasa server calls the action server (endpoints.yml's ACTION_SERVER_URL)."""
        return f"http://{self.host}:{self.action_port}/webhook"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, for every process of the assistant.

    Attributes:
        knowledge_dir: where the curated knowledge base lives (BOT_KNOWLEDGE_DIR).
        data_dir: the Rasa training data (BOT_DATA_DIR), which staff decisions add to.
        generated_dir: where the compiler writes Rasa training data (BOT_GENERATED_DIR, by
            default data_dir's generated/).
        model_path: the trained model the Rasa server serves, which a training replaces
            (BOT_MODEL).
        model_check_seconds: how often each Rasa server process looks for a new model at
            model_path, to switch to it (BOT_MODEL_CHECK_SECONDS).
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
            (BOT_LOOKUPS_PER_CLIENT_PER_HOUR); bot.protection.clients says who a client is.
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
            says otherwise) and, scaled out, of the conversations (unless BOT_TRACKER_DB_URL
            does) (BOT_POSTGRES_URL).
        redis_url: the Redis that replicas on several machines share (BOT_REDIS_URL), for
            their locks (BOT_LOCK_STORE=redis) and the web widget's replies
            (BOT_SOCKETIO_MANAGER=redis).
        server: where the servers listen, their limits and channels.
        staff: the staff console.
        handoff: handing conversations to staff, and tickets.
    """

    knowledge_dir: Path = _env("BOT_KNOWLEDGE_DIR")
    generated_dir: Path = _env("BOT_GENERATED_DIR")
    data_dir: Path = _env("BOT_DATA_DIR")
    model_path: Path = _env("BOT_MODEL")
    model_check_seconds: float = _env("BOT_MODEL_CHECK_SECONDS")
    answer_confidence: float = _env("BOT_ANSWER_CONFIDENCE")
    suggestion_count: int = _env("BOT_SUGGESTION_COUNT")
    suggestion_min_confidence: float = _env("BOT_SUGGESTION_MIN_CONFIDENCE")
    database_path: Path = _env("BOT_DATABASE")
    expiry_warning_days: int = _env("BOT_EXPIRY_WARNING_DAYS")
    lookup_max_failures: int = _env("BOT_LOOKUP_MAX_FAILURES")
    lookup_failure_window_hours: int = _env("BOT_LOOKUP_FAILURE_WINDOW_HOURS")
    lookups_per_client_per_hour: int = _env("BOT_LOOKUPS_PER_CLIENT_PER_HOUR")
    limits_url: str = _env("BOT_LIMITS_URL")
    lookup_backend: str = _env("BOT_LOOKUP_BACKEND")
    certificates_db_url: str = _env("BOT_CERTIFICATES_DB_URL")
    registry_url: str = _env("BOT_REGISTRY_URL")
    registry_timeout: float = _env("BOT_REGISTRY_TIMEOUT")
    registry_retries: int = _env("BOT_REGISTRY_RETRIES")
    action_timeout: float = _env("BOT_ACTION_TIMEOUT")
    conversation_turns: int = _env("BOT_CONVERSATION_TURNS")
    conversation_retention_days: int = _env("BOT_CONVERSATION_RETENTION_DAYS")
    tracker_db_url: str = _env("BOT_TRACKER_DB_URL")
    lock_store: str = _env("BOT_LOCK_STORE")
    lock_db_path: Path = _env("BOT_LOCK_DB")
    postgres_url: str = _env("BOT_POSTGRES_URL")
    redis_url: str = _env("BOT_REDIS_URL")
    server: ServerSettings = _group()
    staff: StaffSettings = _group()
    handoff: HandoffSettings = _group()

    def environment(self) -> dict[str, str]:
        """These settings as the BOT_* variables that a child process reads them from:
        `load_settings(settings.environment()) == settings`."""
        return _as_environment(self)

    def with_server(self, **changes: Any) -> Settings:
        """The same settings with some of the servers' changed (ports, workers)."""
        return dataclasses.replace(self, server=dataclasses.replace(self.server, **changes))


def _as_environment(settings: Any) -> dict[str, str]:
    environment: dict[str, str] = {}
    for each in dataclasses.fields(settings):
        value = getattr(settings, each.name)
        if "env" in each.metadata:
            environment[each.metadata["env"]] = ",".join(value) if isinstance(value, tuple) else str(value)
        elif dataclasses.is_dataclass(value):
            environment.update(_as_environment(value))
    return environment


class _Reader:
    """Reads and checks environment variables, each error naming the variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str, default: str = "") -> str:
        return self.environ.get(name, "").strip() or default

    def path(self, name: str, default: Path) -> Path:
        return Path(self.text(name) or default)

    def number(self, name: str, default: float, low: float, high: float) -> float:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r} is not a number") from None
        return self._between(name, raw, value, low, high)

    def whole(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r} is not a whole number") from None
        return self._between(name, raw, value, low, high)

    @staticmethod
    def _between(name: str, raw: str, value: _Number, low: float, high: float) -> _Number:
        if not low <= value <= high:
            raise SettingsError(f"{name}={raw!r} must be between {low} and {high}")
        return value

    def url(self, name: str, default: str = "") -> str:
        value = self.text(name, default)
        if value and not value.startswith(("http://", "https://")):
            raise SettingsError(f"{name}={value!r} must be an http:// or https:// URL")
        return value

    def required(self, name: str, required_by: str, url: bool = False) -> str:
        value = self.url(name) if url else self.text(name)
        if not value:
            raise SettingsError(f"{name} must be set when {required_by} is set")
        return value

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if value not in allowed:
            raise SettingsError(f"{name}={value!r} is not allowed; use one of: {', '.join(allowed)}")
        return value

    def staff_hours(self, name: str) -> str:
        from bot.handoff.hours import StaffHours  # checked here, so that a mistake stops every process at start

        value = self.text(name)
        StaffHours.parse(value, name)
        return value

    def origins(self, name: str) -> tuple[str, ...]:
        origins = tuple(origin.strip().rstrip("/") for origin in self.text(name).split(",") if origin.strip())
        for origin in origins:
            if not origin.startswith(("http://", "https://")):
                raise SettingsError(f"{name}: {origin!r} must start with http:// or https://")
        return origins


def load_settings(environ: Mapping[str, str] | None = None, *, scaled: bool = False) -> Settings:
    """Reads the settings from the environment (this process's unless `environ` is given),
    with defaults for a local run, or with `scaled` for replicas that share their state in
    PostgreSQL and Redis (`make run-scaled`)."""
    read = _Reader(os.environ if environ is None else environ)
    var = PROJECT_ROOT / "var"
    data_dir = read.path("BOT_DATA_DIR", PROJECT_ROOT / "data")
    postgres_url = read.text("BOT_POSTGRES_URL", POSTGRES_URL)
    redis_url = read.text("BOT_REDIS_URL", REDIS_URL)
    return Settings(
        knowledge_dir=read.path("BOT_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge"),
        generated_dir=read.path("BOT_GENERATED_DIR", data_dir / "generated"),
        data_dir=data_dir,
        model_path=read.path("BOT_MODEL", PROJECT_ROOT / "models" / "certificates.tar.gz"),
        model_check_seconds=read.number("BOT_MODEL_CHECK_SECONDS", 5.0, 0.5, 3600.0),
        answer_confidence=read.number("BOT_ANSWER_CONFIDENCE", 0.5, 0.0, 1.0),
        suggestion_count=read.whole("BOT_SUGGESTION_COUNT", 3, 1, 10),
        suggestion_min_confidence=read.number("BOT_SUGGESTION_MIN_CONFIDENCE", 0.02, 0.0, 1.0),
        database_path=read.path("BOT_DATABASE", var / "certificates.db"),
        expiry_warning_days=read.whole("BOT_EXPIRY_WARNING_DAYS", 90, 0, 3650),
        lookup_max_failures=read.whole("BOT_LOOKUP_MAX_FAILURES", 3, 1, 100),
        lookup_failure_window_hours=read.whole("BOT_LOOKUP_FAILURE_WINDOW_HOURS", 24, 1, 24 * 30),
        lookups_per_client_per_hour=read.whole("BOT_LOOKUPS_PER_CLIENT_PER_HOUR", 10, 1, 1_000_000),
        limits_url=read.text("BOT_LIMITS_URL", redis_url if scaled else f"sqlite:///{var / 'limits.db'}"),
        lookup_backend=read.choice("BOT_LOOKUP_BACKEND", "postgresql" if scaled else "sqlite",
                                   ("sqlite", "postgresql", "http")),
        certificates_db_url=read.text("BOT_CERTIFICATES_DB_URL", postgres_url),
        registry_url=read.text("BOT_REGISTRY_URL"),
        registry_timeout=read.number("BOT_REGISTRY_TIMEOUT", 1.0, 0.1, 10.0),
        registry_retries=read.whole("BOT_REGISTRY_RETRIES", 2, 0, 5),
        action_timeout=read.number("BOT_ACTION_TIMEOUT", 4.0, 0.5, 60.0),
        conversation_turns=read.whole("BOT_CONVERSATION_TURNS", 5, 3, 1000),
        conversation_retention_days=read.whole("BOT_CONVERSATION_RETENTION_DAYS", 30, 1, 3650),
        tracker_db_url=read.text("BOT_TRACKER_DB_URL",
                                 postgres_url if scaled else f"sqlite:///{var / 'conversations.db'}"),
        lock_store=read.choice("BOT_LOCK_STORE", "redis" if scaled else "sqlite", ("sqlite", "redis")),
        lock_db_path=read.path("BOT_LOCK_DB", var / "locks.db"),
        postgres_url=postgres_url,
        redis_url=redis_url,
        server=_server_settings(read, scaled),
        staff=StaffSettings(
            session_hours=read.whole("BOT_STAFF_SESSION_HOURS", 8, 1, 24 * 7),
            login_failures_per_account=read.whole("BOT_STAFF_LOGIN_FAILURES_PER_ACCOUNT", 5, 1, 1000),
            login_failures_per_address=read.whole("BOT_STAFF_LOGIN_FAILURES_PER_ADDRESS", 20, 1, 100_000),
            secure_cookie=read.choice("BOT_STAFF_SECURE_COOKIE", "no", ("no", "yes")),
        ),
        handoff=HandoffSettings(
            wait_seconds=read.whole("BOT_HANDOFF_WAIT_SECONDS", 180, 5, 24 * 3600),
            staff_hours=read.staff_hours("BOT_STAFF_HOURS"),
            notify_url=read.url("BOT_STAFF_NOTIFY_URL"),
        ),
    )


def _server_settings(read: _Reader, scaled: bool) -> ServerSettings:
    return ServerSettings(
        host=read.text("BOT_HOST", "127.0.0.1"),
        rasa_port=read.whole("BOT_RASA_PORT", 5005, 1, 65535),
        action_port=read.whole("BOT_ACTION_PORT", 5055, 1, 65535),
        web_port=read.whole("BOT_WEB_PORT", 8080, 1, 65535),
        socket_url=read.url("BOT_WEB_SOCKET_URL").rstrip("/"),
        allowed_origins=read.origins("BOT_WEB_ALLOWED_ORIGINS"),
        api_token=read.text("BOT_RASA_API_TOKEN"),
        workers=read.whole("BOT_SERVER_WORKERS", 2, 1, 64),
        messages_per_minute=read.whole("BOT_MESSAGES_PER_MINUTE", 30, 1, 1_000_000),
        conversations_per_hour=read.whole("BOT_CONVERSATIONS_PER_HOUR", 20, 1, 1_000_000),
        messages_at_once=read.whole("BOT_MESSAGES_AT_ONCE", 2, 1, 1_000_000),
        max_request_bytes=read.whole("BOT_MAX_REQUEST_BYTES", 16_384, 1024, 10_000_000),
        # Scaled out, nginx adds the client's address to X-Forwarded-For (bot.protection.clients).
        trusted_proxies=read.whole("BOT_TRUSTED_PROXIES", 1 if scaled else 0, 0, 10),
        real_ip_header=read.text("BOT_REAL_IP_HEADER"),
        socketio_manager=read.choice("BOT_SOCKETIO_MANAGER", "redis" if scaled else "local", ("local", "redis")),
        telegram=_telegram_settings(read),
        slack=_slack_settings(read),
        wechat=_wechat_settings(read),
    )


def _telegram_settings(read: _Reader) -> TelegramSettings | None:
    token = read.text("BOT_TELEGRAM_TOKEN")
    if not token:
        return None
    secret = read.required("BOT_TELEGRAM_SECRET_TOKEN", "BOT_TELEGRAM_TOKEN")
    if not _TELEGRAM_SECRET.fullmatch(secret):
        raise SettingsError("BOT_TELEGRAM_SECRET_TOKEN may hold only A-Z, a-z, 0-9, _ and -, at most 256 of them")
    webhook_url = read.required("BOT_TELEGRAM_WEBHOOK_URL", "BOT_TELEGRAM_TOKEN", url=True)
    return TelegramSettings(token=token, webhook_url=webhook_url, secret_token=secret,
                            api_base=read.url("BOT_TELEGRAM_API_BASE", "https://api.telegram.org"))


def _slack_settings(read: _Reader) -> SlackSettings | None:
    token = read.text("BOT_SLACK_TOKEN")
    if not token:
        return None
    api_base = read.url("BOT_SLACK_API_BASE", "https://slack.com/api/")
    return SlackSettings(
        token=token,
        signing_secret=read.required("BOT_SLACK_SIGNING_SECRET", "BOT_SLACK_TOKEN"),
        replay_window_seconds=read.whole("BOT_SLACK_REPLAY_WINDOW_SECONDS", 300, 1, 3600),
        api_base=api_base if api_base.endswith("/") else api_base + "/",  # the Slack client appends method names
    )


def _wechat_settings(read: _Reader) -> WechatSettings | None:
    credentials = {name: read.text(name) for name in (
        "BOT_WECHAT_TOKEN", "BOT_WECHAT_APP_ID", "BOT_WECHAT_APP_SECRET", "BOT_WECHAT_AES_KEY")}
    if not any(credentials.values()):
        return None
    mode = "safe mode (BOT_WECHAT_AES_KEY)" if credentials["BOT_WECHAT_AES_KEY"] else "the WeChat channel"
    missing = [name for name, value in credentials.items() if not value and name != "BOT_WECHAT_AES_KEY"]
    if missing:
        raise SettingsError(f"{mode} also needs {', '.join(missing)}")
    aes_key = credentials["BOT_WECHAT_AES_KEY"]
    if aes_key and not _WECHAT_AES_KEY.fullmatch(aes_key):
        raise SettingsError("BOT_WECHAT_AES_KEY must be the account's EncodingAESKey: 43 letters and digits")
    api_base = read.url("BOT_WECHAT_API_BASE", "https://api.weixin.qq.com/cgi-bin/")
    return WechatSettings(
        token=credentials["BOT_WECHAT_TOKEN"], app_id=credentials["BOT_WECHAT_APP_ID"],
        app_secret=credentials["BOT_WECHAT_APP_SECRET"], aes_key=aes_key,
        api_base=api_base if api_base.endswith("/") else api_base + "/",  # method names are appended
        replay_window_seconds=read.whole("BOT_WECHAT_REPLAY_WINDOW_SECONDS", 300, 10, 3600),
        reply_seconds=read.number("BOT_WECHAT_REPLY_SECONDS", 4.0, 0.1, 4.5),
    )


@lru_cache(maxsize=1)
def current_settings() -> Settings:
    """This process's settings, read from its environment once. The objects that Rasa
    creates by name (channels, stores, components), which cannot be handed them, ask here."""
    return load_settings()


def child_environment(settings: Settings | None) -> dict[str, str]:
    """The environment of a process this one starts: its own, with every BOT_* variable
    written from `settings` (none left over from this process's environment; none at all
    for a process that is not the assistant's, such as nginx)."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)}
    return {**inherited, **(settings.environment() if settings else {})}
