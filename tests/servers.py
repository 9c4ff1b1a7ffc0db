"""Helpers for tests that start the real servers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from bot.certificates.demo import demo_records
from bot.certificates.store import open_database, upsert_certificates
from bot.stack import StackConfig, free_port, running_stack


def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "certificates.db"
    upsert_certificates(open_database(path), demo_records(20, seed=1, today=date.today()))
    return path


@contextmanager
def started_stack(model: Path, tmp_path_factory: pytest.TempPathFactory, env: dict[str, str] | None = None,
                  with_page: bool = False, api_token: str = "", workers: int = 1) -> Iterator[tuple[StackConfig, Path]]:
    """Starts the servers on free ports with `env` set; yields their config and log file.
    Conversations and locks are kept in the stack's own folder unless `env` says otherwise."""
    config = StackConfig(model=model, rasa_port=free_port(), action_port=free_port(), web_port=free_port(),
                         api_token=api_token, workers=workers)
    folder = tmp_path_factory.mktemp("stack")
    log_path = folder / "servers.log"
    own_stores = {"BOT_TRACKER_DB_URL": f"sqlite:///{folder / 'conversations.db'}",
                  "BOT_LOCK_DB": str(folder / "locks.db")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**own_stores, **(env or {})}.items():
            patch.setenv(name, value)
        with log_path.open("wb") as log:
            try:
                with running_stack(config, log, with_page=with_page):
                    yield config, log_path
            finally:
                print(f"server logs: {log_path}")
