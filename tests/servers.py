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
                  with_page: bool = False, api_token: str = "") -> Iterator[tuple[StackConfig, Path]]:
    """Starts the servers on free ports with `env` set; yields their config and log file."""
    config = StackConfig(model=model, rasa_port=free_port(), action_port=free_port(), web_port=free_port(),
                         api_token=api_token)
    log_path = tmp_path_factory.mktemp("stack") / "servers.log"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        with log_path.open("wb") as log:
            try:
                with running_stack(config, log, with_page=with_page):
                    yield config, log_path
            finally:
                print(f"server logs: {log_path}")
