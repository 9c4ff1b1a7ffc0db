from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from bot.compiler import RESPONSES
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


@pytest.fixture(scope="session")
def responses(settings: Settings) -> dict[str, str]:
    """Every response's text: the answers generated from knowledge/ and those in domain.yml."""
    generated = yaml.safe_load((settings.generated_dir / RESPONSES).read_text(encoding="utf-8"))["responses"]
    written = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    return {name: variants[0]["text"] for name, variants in {**generated, **written}.items()}


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
