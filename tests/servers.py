"""Helpers for tests that start the real servers."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from requests.adapters import HTTPAdapter

from bot.certificates.demo import demo_records
from bot.certificates.postgres_store import PostgresCertificateDatabase
from bot.certificates.store import open_database, upsert_certificates
from bot.processes.scaled import ScaledConfig, ScaledStack, run_scaled
from bot.processes.stack import StackConfig, free_port, running_stack
from bot.settings import load_settings
from tests.conftest import new_postgres_database
from tests.ordering import ORDERING_MESSAGES


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs, source_address=(self.address, 0))


def session_from(address: str) -> requests.Session:
    """An HTTP session whose connections come from `address`, another client to the servers
    (all of 127.0.0.0/8 is this machine)."""
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session


def oversize_post(config: StackConfig, size: int) -> bytes:
    """Sends the headers of a `size`-byte JSON body and a first part of it; returns the
    server's answer (a server that reads the whole body first would not answer yet)."""
    with socket.create_connection((config.host, config.rasa_port), timeout=10) as connection:
        connection.sendall(f"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: {config.host}\r\n"
                           f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode())
        connection.sendall(b'{"sender": "oversize", "message": "' + b"a" * 1000)
        return connection.recv(4096)


def user_metadata(config: StackConfig, sender: str, api_token: str) -> list[dict[str, Any]]:
    """The metadata of each user message of a conversation, through Rasa's HTTP API."""
    tracker = requests.get(f"http://{config.host}:{config.rasa_port}/conversations/{sender}/tracker",
                           params={"token": api_token}, timeout=10).json()
    return [event.get("metadata", {}) for event in tracker["events"] if event["event"] == "user"]


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


def stack_config(model: Path, workers: int = 1, api_token: str = "", action_port: int | None = None) -> StackConfig:
    """Servers on free ports, with the settings of this process's environment as it is now."""
    settings = load_settings().with_server(rasa_port=free_port(), action_port=action_port or free_port(),
                                           web_port=free_port(), api_token=api_token, workers=workers)
    return StackConfig(settings, model)


def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "certificates.db"
    upsert_certificates(open_database(path), demo_records(20, seed=1, today=date.today()))
    return path


@contextmanager
def own_stores(folder: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    """Until the block ends, servers started keep their conversations, locks and counters in
    `folder` with the limits per client out of reach (stores_in), unless `env`,
    also set, says otherwise."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**stores_in(folder), **(env or {})}.items():
            patch.setenv(name, value)
        yield


@contextmanager
def started_stack(model: Path, tmp_path_factory: pytest.TempPathFactory, env: dict[str, str] | None = None,
                  with_page: bool = False, api_token: str = "", workers: int = 1) -> Iterator[tuple[StackConfig, Path]]:
    """Starts the servers on free ports with `env` set; yields their config and log file.
    Conversations, locks and counters are kept in the stack's own folder, and the limits per
    client are out of reach (every test is one client, 127.0.0.1), unless `env` says otherwise."""
    folder = tmp_path_factory.mktemp("stack")
    log_path = folder / "servers.log"
    with own_stores(folder, env), log_path.open("wb") as log:
        config = stack_config(model, workers, api_token)
        try:
            with running_stack(config, log, with_page=with_page):
                yield config, log_path
        finally:
            print(f"server logs: {log_path}")


SCALED_REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of the local Redis that nothing else uses


@contextmanager
def started_scaled(model: Path, folder: Path, replicas: int = 2, env: dict[str, str] | None = None
                   ) -> Iterator[ScaledStack]:
    """Replicas (two unless asked), the action server, the page and nginx on free ports,
    sharing a new PostgreSQL database (with demo certificates) and a Redis database of their
    own, with `env` set too; nginx's files and the servers' log go into `folder`."""
    redis.Redis.from_url(SCALED_REDIS_URL).flushdb()
    with new_postgres_database() as postgres_url:
        database = PostgresCertificateDatabase(postgres_url)
        database.upsert(demo_records(20, seed=1, today=date.today()))
        database.close()
        env = {"BOT_POSTGRES_URL": postgres_url, "BOT_REDIS_URL": SCALED_REDIS_URL, **UNLIMITED_CLIENTS,
               # The ordering check (tests/ordering.py) reads back every message of its
               # conversations: none may be cut off yet (the scaled benchmark's load runs
               # keep as many turns).
               "BOT_CONVERSATION_TURNS": str(ORDERING_MESSAGES), **(env or {})}
        settings = load_settings({**os.environ, **env}, scaled=True).with_server(
            rasa_port=free_port(), web_port=free_port(), action_port=free_port())
        config = ScaledConfig(settings, model, replicas, first_replica_port=free_port(replicas),
                              page_port=free_port(), nginx_dir=folder / "nginx")
        with (folder / "servers.log").open("wb") as log:
            try:
                with run_scaled(config, log) as stack:
                    yield stack
            finally:
                print(f"server logs: {folder / 'servers.log'}")
