"""Starts and stops the assistant's servers: the action server, the Rasa server and the
web page.

Used by `python -m bot serve` and `python -m bot shell`, and by the end-to-end tests and
the benchmark, so every way of running the assistant starts it the same way.
"""

from __future__ import annotations

import dataclasses
import os
import random
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

from bot.errors import BotError
from bot.processes.channels import channel_credentials
from bot.processes.webpage import PageConfig, serve_page
from bot.review.console import StaffConsole
from bot.settings import PROJECT_ROOT, Settings, child_environment

RASA = str(Path(sys.executable).with_name("rasa"))
STOP_TIMEOUT_SECONDS = 15.0
STARTUP_TIMEOUT_SECONDS = 180.0
# How many ports below the kernel's outgoing range free_port chooses from.
FREE_PORT_SPAN = 10_000
# Where a server's output goes: a file, subprocess.DEVNULL, or None for this terminal.
Log = IO[bytes] | int | None


@dataclass(frozen=True)
class StackConfig:
    """The servers to start: the settings they run on, and the model they serve."""

    settings: Settings
    model: Path
    startup_timeout: float = STARTUP_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        # The model served is the one a training replaces and each server process watches.
        object.__setattr__(self, "settings", dataclasses.replace(self.settings, model_path=self.model.resolve()))

    @property
    def host(self) -> str:
        return self.settings.server.host

    @property
    def rasa_port(self) -> int:
        return self.settings.server.rasa_port

    @property
    def action_port(self) -> int:
        return self.settings.server.action_port

    @property
    def web_port(self) -> int:
        return self.settings.server.web_port

    @property
    def api_token(self) -> str:
        return self.settings.server.api_token

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}/webhooks/rest/webhook"

    @property
    def rasa_up_url(self) -> str:
        """Answers once the Rasa server has loaded its model and opened its channels."""
        return f"http://{self.host}:{self.rasa_port}/webhooks/rest/"

    @property
    def action_url(self) -> str:
        return self.settings.server.action_url


def server_environment(config: StackConfig) -> dict[str, str]:
    """The environment both servers run in, written from the settings: endpoints.yml reads
    ACTION_SERVER_URL, the action server listens on SANIC_HOST."""
    env = child_environment(config.settings)
    env.update(
        ACTION_SERVER_URL=config.action_url,
        SANIC_HOST=config.host,
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])),
    )
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BotError(f"the {name} exited with code {process.returncode} while starting to serve {url}")
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
RASA_WITH_FALLBACK = [sys.executable, "-m", "bot.server"]


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
        # "=": a token may begin with "-" (token_urlsafe does, one time in 64), which argparse
        # would take for an option.
        command += ["--enable-api", f"--auth-token={config.api_token}"]
    return command


def write_credentials(config: StackConfig) -> Path:
    """Writes the list of channels to open, from the settings the Rasa server will read."""
    channels = channel_credentials(config.settings.server)
    path = PROJECT_ROOT / "build" / f"credentials-{config.rasa_port}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Written by bot/processes/stack.py at start-up from the settings; edits are lost.\n"
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
    # rasa-sdk's Sanic, like the Rasa server's, exits with code 0 when its port is taken.
    check_port_free(config.host, config.action_port, "action server")
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
                                 socket_url=config.settings.server.socket_url,
                                 console=StaffConsole(config.settings)))


# Ports already handed out by free_port in this process, whose servers may not listen yet.
_handed_out: set[int] = set()


def free_port(consecutive: int = 1) -> int:
    """A TCP port on localhost that nothing uses now (the first of `consecutive` such ports
    in a row), below the kernel's range of ports for outgoing connections: a port from that
    range can be taken by any connection the machine opens between now and the moment a
    server binds it (a replica then could not start)."""
    low = _ephemeral_ports()[0]
    first = max(1024, low - FREE_PORT_SPAN)
    candidates = list(range(first, low - consecutive + 1))
    random.shuffle(candidates)
    for port in candidates:
        ports = range(port, port + consecutive)
        if _handed_out.intersection(ports) or not all(map(_unused, ports)):
            continue
        _handed_out.update(ports)
        return port
    raise BotError(f"no {consecutive} free port(s) in a row between {first} and {low - 1}")


def check_port_free(host: str, port: int, name: str) -> None:
    """Raises BotError, naming the port, when a server could not listen on host:port now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise BotError(f"the {name} cannot listen on {host}:{port}: {error}") from None


def _unused(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ephemeral_ports() -> tuple[int, int]:
    """The kernel's range of ports for outgoing connections."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


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
