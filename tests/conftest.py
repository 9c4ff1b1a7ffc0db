from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.dialogue import Dialogue
from bot.knowledge import KnowledgeBase
from bot.knowledge_loader import load_knowledge
from bot.settings import PROJECT_ROOT, Settings, load_settings

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(PROJECT_ROOT / "knowledge")


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def dialogue(kb: KnowledgeBase, settings: Settings) -> Dialogue:
    return Dialogue(kb, settings)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the real knowledge base, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", target)
    return target


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it first)")
    return MODEL


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
