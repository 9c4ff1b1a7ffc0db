"""Starts and stops the assistant's servers: the action server, the Rasa server and the
web page.

Used by `python -m bot serve` and `python -m bot shell`, and by the end-to-end tests and
the benchmark, so every way of running the assistant starts it the same way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests
import yaml

from bot.channels import channel_credentials
from bot.errors import BotError
from bot.settings import PROJECT_ROOT, ServerSettings, load_server_settings
from bot.webpage import PageConfig, serve_page

RASA = str(Path(sys.executable).with_name("rasa"))
STOP_TIMEOUT_SECONDS = 15.0
# Where a server's output goes: a file, subprocess.DEVNULL, or None for this terminal.
Log = IO[bytes] | int | None


@dataclass(frozen=True)
class StackConfig:
    model: Path
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8080
    # Every server listens on this address only; localhost keeps them off the network.
    host: str = "127.0.0.1"
    # Turns on Rasa's HTTP API, guarded by this token; empty keeps it off.
    api_token: str = ""
    # Rasa server processes sharing rasa_port (Sanic workers).
    workers: int = 1
    startup_timeout: float = 180.0

    @classmethod
    def from_settings(cls, model: Path, settings: ServerSettings) -> StackConfig:
        return cls(model=model, rasa_port=settings.rasa_port, action_port=settings.action_port,
                   web_port=settings.web_port, host=settings.host, api_token=settings.api_token,
                   workers=settings.workers)

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}/webhooks/rest/webhook"

    @property
    def rasa_up_url(self) -> str:
        """Answers once the Rasa server has loaded its model and opened its channels."""
        return f"http://{self.host}:{self.rasa_port}/webhooks/rest/"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"


# For tests and benchmarks, whose one client (127.0.0.1) sends as fast as it is answered:
# the limits per client are still checked on every message, but never reached.
UNLIMITED_CLIENTS = {name: "1000000" for name in (
    "BOT_MESSAGES_PER_MINUTE", "BOT_CONVERSATIONS_PER_HOUR", "BOT_MESSAGES_AT_ONCE",
    "BOT_LOOKUPS_PER_CLIENT_PER_HOUR")}


def stores_in(folder: Path) -> dict[str, str]:
    """The environment of servers that tests and benchmarks start: conversations, locks and
    counters in `folder`, not the project's var/ (whose counters would add up over runs), and
    the limits per client out of reach."""
    return {"BOT_TRACKER_DB_URL": f"sqlite:///{folder / 'conversations.db'}", "BOT_LOCK_DB": str(folder / "locks.db"),
            "BOT_LIMITS_URL": f"sqlite:///{folder / 'limits.db'}", **UNLIMITED_CLIENTS}


def server_environment(config: StackConfig) -> dict[str, str]:
    """The environment both servers run in: endpoints.yml reads ACTION_SERVER_URL."""
    env = dict(os.environ)
    env.update(
        ACTION_SERVER_URL=config.action_url,
        SANIC_HOST=config.host,  # the action server's listening address
        # The Rasa server's channels read these (the socket.io channel's allowed origins
        # follow the page's port).
        BOT_HOST=config.host,
        BOT_RASA_PORT=str(config.rasa_port),
        BOT_ACTION_PORT=str(config.action_port),
        BOT_WEB_PORT=str(config.web_port),
        SANIC_WORKERS=str(config.workers),  # read by `rasa run`
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])),
    )
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BotError(f"the {name} exited with code {process.returncode} while starting")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise BotError(f"the {name} did not answer {url} within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stops a server started in its own process group, and every process of that group:
    Sanic's workers outlive a master that dies first."""
    # SIGTERM, not SIGINT: a process started in the background may ignore SIGINT.
    try:
        _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while time.monotonic() < deadline and _signal_group(process.pid, 0):
            process.poll()  # reaps the leader, whose group then empties
            time.sleep(0.1)
    finally:  # also when a second Ctrl-C cuts the wait short
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


def _signal_group(group: int, signum: int) -> bool:
    """Sends `signum` to a process group; False when no process of it is left."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True


def action_server_command(config: StackConfig) -> list[str]:
    return [RASA, "run", "actions", "--actions", "actions", "--port", str(config.action_port)]


# Rasa's command line, with the fallback that answers when the action server cannot.
RASA_WITH_FALLBACK = [sys.executable, "-m", "bot.rasa_server"]


def rasa_server_command(config: StackConfig, credentials: Path) -> list[str]:
    command = [
        *RASA_WITH_FALLBACK, "run",
        "--model", str(config.model),
        "--interface", config.host,
        "--port", str(config.rasa_port),
        "--credentials", str(credentials),
        "--endpoints", "endpoints.yml",
    ]
    if config.api_token:
        # Never without the token: the HTTP API can replace the model and read every conversation.
        command += ["--enable-api", "--auth-token", config.api_token]
    return command


def write_credentials(config: StackConfig) -> Path:
    """Writes the list of channels to open, from the settings the Rasa server will read."""
    channels = channel_credentials(load_server_settings())
    path = PROJECT_ROOT / "build" / f"credentials-{config.rasa_port}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Written by bot/stack.py at start-up from the settings; edits are lost.\n"
                    + yaml.safe_dump(channels), encoding="utf-8")
    return path


def stop_on_signals() -> None:
    """Turns SIGTERM and SIGINT into KeyboardInterrupt, so `with` blocks stop the servers.

    SIGINT is set explicitly because a process started in the background inherits it ignored.
    """
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


def spawn(command: list[str], env: dict[str, str], log: Log, cwd: Path = PROJECT_ROOT) -> subprocess.Popen[bytes]:
    """Starts a server in its own process group (and session), so that stop_process stops
    what it started too."""
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log, start_new_session=True)


@contextmanager
def server_process(command: list[str], health_url: str, name: str, env: dict[str, str], log: Log,
                   timeout: float, cwd: Path = PROJECT_ROOT) -> Iterator[subprocess.Popen[bytes]]:
    """Runs `command` until the block ends, once `health_url` answers (also used by the load
    benchmark for the stock bot it measures against)."""
    process = spawn(command, env, log, cwd)
    try:
        wait_until_up(health_url, process, name, timeout)
        yield process
    finally:
        stop_process(process)


def _server(command: list[str], health_url: str, name: str, config: StackConfig,
            log: Log) -> AbstractContextManager[subprocess.Popen[bytes]]:
    return server_process(command, health_url, name, server_environment(config), log, config.startup_timeout)


def action_server(config: StackConfig, log: Log = None) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """Runs the action server until the block ends."""
    health = f"http://{config.host}:{config.action_port}/health"
    return _server(action_server_command(config), health, "action server", config, log)


@contextmanager
def rasa_server(config: StackConfig, log: Log = None) -> Iterator[subprocess.Popen[bytes]]:
    """Runs the Rasa server, with every configured channel, until the block ends."""
    if not config.model.exists():
        raise BotError(f"no trained model at {config.model}; run `make train`")
    credentials = write_credentials(config)
    try:
        with _server(rasa_server_command(config, credentials), config.rasa_up_url, "Rasa server", config,
                     log) as process:
            yield process
    finally:
        credentials.unlink(missing_ok=True)


def web_page(config: StackConfig) -> AbstractContextManager[str]:
    """Serves the web page with the chat widget until the block ends; yields its URL."""
    return serve_page(PageConfig(host=config.host, port=config.web_port, rasa_port=config.rasa_port,
                                 socket_url=load_server_settings().socket_url))


def free_port() -> int:
    """A TCP port on localhost that nothing listens on now (for tests and benchmarks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_stack(config: StackConfig, log: Log = None, with_page: bool = False) -> Iterator[None]:
    """Runs the action server and the Rasa server, and serves the web page if asked, until
    the block ends."""
    with ExitStack() as servers:
        servers.enter_context(action_server(config, log))
        servers.enter_context(rasa_server(config, log))
        if with_page:
            servers.enter_context(web_page(config))
        yield
