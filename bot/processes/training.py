"""Trains the model with the knowledge as it is now, and puts it where the servers serve it
from: `make train`, `python -m bot train` and the staff console's Train button all come here.

1. The knowledge is compiled into Rasa's training data (as `python -m bot compile`).
2. Rasa trains into a folder beside the model (its cache, in the project's .rasa/, keeps
   what did not change from being trained again).
3. The new model replaces the old one in one rename: every server process then switches to
   it (bot.server.model_reload). A failure anywhere before leaves the model as it was.
4. Each question that staff accepted into an entry or marked unrelated since the training
   before is read by the new model and answered as the action server would answer it; the
   console shows which now get the answer they decided on.
One training at a time, recorded with who started it and why it failed (bot.review.trainings).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from bot.errors import BotError, TrainingError
from bot.knowledge.compiler import compile_knowledge, write_generated
from bot.knowledge.loader import load_knowledge
from bot.review.store import ReviewStore
from bot.review.trainings import FAILED, SUCCEEDED, Check, Decided, Trainings
from bot.settings import PROJECT_ROOT, Settings, child_environment

RASA = str(Path(sys.executable).with_name("rasa"))
CONFIG, DOMAIN = PROJECT_ROOT / "config.yml", PROJECT_ROOT / "domain.yml"
# How much of Rasa's output a failed training reports.
FAILURE_LINES = 15


def training_log(settings: Settings) -> Path:
    """Rasa's output of the latest training, beside the model."""
    return settings.model_path.parent / "training.log"


def run(settings: Settings, run_id: int | None, actor: str) -> str:
    """Carries out a training (recorded as `run_id`, or as a new one started by `actor`);
    returns what it did. Raises TrainingError when it cannot start or fails."""
    trainings = Trainings(ReviewStore(settings.tracker_db_url))
    if run_id is None:
        run_id = trainings.begin(actor)
    try:
        write_generated(compile_knowledge(load_knowledge(settings.knowledge_dir)), settings.generated_dir)
        train_model(settings)
    except BotError as error:  # a knowledge error, or Rasa's
        trainings.finish(run_id, FAILED, f"{error}; the running model was not changed", [])
        raise TrainingError(str(error)) from error
    except BaseException:
        trainings.finish(run_id, FAILED, "the training was interrupted; the running model was not changed", [])
        raise
    try:
        checks = check_decisions(settings, trainings.decided_since_last(run_id))
    except TrainingError as error:  # the model is in place; only the check failed
        trainings.finish(run_id, SUCCEEDED, f"new model at {settings.model_path}; {error}", [])
        raise
    passed = sum(check.passed for check in checks)
    message = f"new model at {settings.model_path}" + (
        f"; {passed} of {len(checks)} decided questions now answered as decided" if checks else "")
    trainings.finish(run_id, SUCCEEDED, message, checks)
    return message


def train_model(settings: Settings) -> None:
    """Trains with Rasa into a folder beside the model, then moves the model into place."""
    model = settings.model_path
    model.parent.mkdir(parents=True, exist_ok=True)
    log = training_log(settings)
    with tempfile.TemporaryDirectory(dir=model.parent, prefix=".training-") as folder, log.open("wb") as output:
        command = [RASA, "train", "--config", str(CONFIG), "--domain", str(DOMAIN), "--data", str(settings.data_dir),
                   "--out", folder, "--fixed-model-name", model.name.removesuffix(".tar.gz")]
        # In the project folder: Rasa's cache (.rasa/cache) and config.yml's paths are relative to it.
        finished = subprocess.run(command, cwd=PROJECT_ROOT, env=child_environment(settings), stdout=output,
                                  stderr=subprocess.STDOUT, check=False)
        trained = Path(folder) / model.name
        if finished.returncode != 0 or not trained.is_file():
            raise TrainingError(f"Rasa's training failed (exit code {finished.returncode}): {_tail(log)}")
        trained.replace(model)  # one rename: a server never sees half a model


def _tail(log: Path) -> str:
    """Why Rasa failed: its output from the last error it reported (progress bars, warnings
    and INFO lines left out)."""
    lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
             if line.strip() and "%|" not in line and not _NOISE.search(line)]
    errors = [index for index, line in enumerate(lines) if _ERROR.search(line)]
    return " / ".join(lines[errors[-1]:] if errors else lines[-FAILURE_LINES:])[:2000] or "no output"


_ERROR = re.compile(r"\w+(Exception|Error)\b|\bERROR\b")
_NOISE = re.compile(r"Warning|\bINFO\b|\bDEBUG\b|^from |declare_namespace|prefix dict|Loading model|tensorflow/")


def check_decisions(settings: Settings, decided: Sequence[Decided]) -> list[Check]:
    """How the new model answers each decided question (bot.server.model_check, in a process
    of its own: it loads the model with Rasa)."""
    if not decided:
        return []
    checked = subprocess.run([sys.executable, "-m", "bot.server.model_check"], cwd=PROJECT_ROOT,
                             env=child_environment(settings), input=json.dumps([asdict(q) for q in decided]),
                             capture_output=True, text=True, check=False)
    if checked.returncode != 0:
        raise TrainingError(f"the new model could not be checked: {checked.stderr.strip()[-1000:]}")
    # The last line: Rasa and its libraries may print before it.
    return [Check(**check) for check in json.loads(checked.stdout.strip().splitlines()[-1])]
