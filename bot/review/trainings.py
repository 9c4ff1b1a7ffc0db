"""The record of trainings: one at a time, who started each, how it ended and why, and for
each question that staff accepted or marked unrelated since the training before, whether
the new model answers it as they decided. Light: no Rasa import (the console uses it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from bot.errors import ConversationStoreUnavailable, TrainingError
from bot.review.store import ACCEPTED, OUT_OF_SCOPE, ReviewStore, when
from bot.review.tables import trainings, turns
from bot.settings import PROJECT_ROOT, Settings, child_environment
from bot.text import normalize_phrase

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
# A training recorded as running, on this machine, with no process yet: its start failed.
_START_SECONDS = 60.0


@dataclass(frozen=True)
class Check:
    """What the new model does with one question that staff decided on."""

    question_id: int
    text: str
    decision: str  # accepted or out_of_scope
    expected: str | None  # the entry it was added to; None for unrelated
    answered_by: str | None  # the entry the new model answers it from, if any
    outcome: str  # bot.review.outcomes: answered, declined, hedged, ...
    passed: bool


@dataclass(frozen=True)
class TrainingRun:
    id: int
    started_at: float
    started_by: str
    status: str
    finished_at: float | None
    message: str
    checks: tuple[Check, ...]

    @property
    def started(self) -> str:
        return when(self.started_at)

    @property
    def passed(self) -> int:
        return sum(check.passed for check in self.checks)


@dataclass(frozen=True)
class Decided:
    """A question decided on, to check after the training."""

    id: int
    text: str
    language: str
    decision: str
    entry: str | None


class Trainings:
    def __init__(self, store: ReviewStore) -> None:
        self.store = store

    def begin(self, actor: str) -> int:
        """Records a training started by `actor`; refused while another runs."""
        self._end_abandoned()
        try:
            with self.store.transaction() as connection:
                return int(connection.execute(trainings.insert().values(
                    started_at=time.time(), started_by=actor, host=socket.gethostname(), status=RUNNING))
                    .inserted_primary_key[0])
        except ConversationStoreUnavailable as error:  # the index refused a second running training, or worse
            running = self.running()
            if running is None:
                raise
            raise TrainingError(f"a training is already running: started {running.started} by "
                                f"{running.started_by}; wait until it ends") from error

    def attach(self, run_id: int, pid: int) -> None:
        """Records which process carries out the training."""
        with self.store.transaction() as connection:
            connection.execute(trainings.update().where(trainings.c.id == run_id).values(pid=pid))

    def finish(self, run_id: int, status: str, message: str, checks: list[Check]) -> None:
        detail = json.dumps([asdict(check) for check in checks], ensure_ascii=False)
        with self.store.transaction() as connection:
            connection.execute(trainings.update().where(trainings.c.id == run_id).values(
                status=status, finished_at=time.time(), message=message, checks=detail))
            started_by = connection.execute(sa.select(trainings.c.started_by)
                                            .where(trainings.c.id == run_id)).scalar_one()
        self.store.record(str(started_by), f"training_{status}", f"training {run_id}: {message}")

    def running(self) -> TrainingRun | None:
        self._end_abandoned()
        runs = self.latest(1)
        return runs[0] if runs and runs[0].status == RUNNING else None

    def latest(self, limit: int = 10) -> list[TrainingRun]:
        with self.store.transaction() as connection:
            rows = connection.execute(sa.select(trainings).order_by(trainings.c.id.desc()).limit(limit)).all()
        return [_run(row._mapping) for row in rows]

    def decided_since_last(self, run_id: int) -> list[Decided]:
        """The questions accepted or marked unrelated since the start of the last training
        that succeeded before this one (the new model is the first to learn them), each
        wording once."""
        with self.store.transaction() as connection:
            since = connection.execute(sa.select(sa.func.max(trainings.c.started_at)).where(
                trainings.c.status == SUCCEEDED, trainings.c.id < run_id)).scalar() or 0.0
            rows = connection.execute(
                sa.select(turns.c.id, turns.c.text, turns.c.language, turns.c.status, turns.c.resolution)
                .where(turns.c.status.in_([ACCEPTED, OUT_OF_SCOPE]), turns.c.resolved_at >= since)
                .order_by(turns.c.id)).all()
        decided: dict[tuple[str, str, str | None], Decided] = {}  # a wording asked many times, once
        for question_id, text, language, status, resolution in rows:
            entry = json.loads(resolution or "{}").get("entry") if status == ACCEPTED else None
            decided.setdefault((normalize_phrase(text or ""), status, entry),
                               Decided(question_id, text or "", language, status, entry))
        return list(decided.values())

    def _end_abandoned(self) -> None:
        """Marks failed a training recorded as running whose process on this machine is gone."""
        _collect_ended()
        with self.store.transaction() as connection:
            row = connection.execute(sa.select(trainings.c.id, trainings.c.pid, trainings.c.started_at)
                                     .where(trainings.c.status == RUNNING,
                                            trainings.c.host == socket.gethostname())).first()
        if row is None:
            return
        run_id, pid, started_at = row
        if (pid is None and time.time() - started_at < _START_SECONDS) or (pid is not None and _alive(pid)):
            return
        self.finish(run_id, FAILED, "the training process ended without finishing (stopped or crashed)", [])


# Trainings this process started, to collect their exit status (no zombie looks alive).
_started: list[subprocess.Popen[bytes]] = []


def start_training(runs: Trainings, settings: Settings, actor: str) -> int:
    """Starts `python -m bot train` in the background for `actor`; refused while another runs."""
    run_id = runs.begin(actor)
    try:
        process = subprocess.Popen([sys.executable, "-m", "bot", "train", "--run", str(run_id)], cwd=PROJECT_ROOT,
                                   env=child_environment(settings), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as error:
        runs.finish(run_id, FAILED, f"the training could not start: {error}", [])
        raise TrainingError(f"the training could not start: {error}") from error
    _started.append(process)
    runs.attach(run_id, process.pid)
    return run_id


def _collect_ended() -> None:
    for process in list(_started):
        if process.poll() is not None:
            _started.remove(process)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run(row: Any) -> TrainingRun:
    checks = tuple(Check(**check) for check in json.loads(row["checks"] or "[]"))
    return TrainingRun(row["id"], row["started_at"], row["started_by"], row["status"], row["finished_at"],
                       row["message"] or "", checks)
