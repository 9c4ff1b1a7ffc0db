from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.dialogue.answering import Dialogue
from bot.dialogue.feedback import is_feedback
from bot.errors import KnowledgeError, Problem
from bot.knowledge.compiler import RESPONSES
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.response_names import LANGUAGE_SLOT
from bot.knowledge.routing import UNLISTED_INTENT
from bot.review.store import ReviewStore
from bot.settings import PROJECT_ROOT, Settings, current_settings, load_settings
from bot.text import DEFAULT_LANGUAGE, normalize_phrase
from bot.understanding.gate import FINDINGS_KEY, DomainGate
from tests.browser import CHROMIUM
from tests.evaluation import ParseFunction, load_examples, model_parser

MODEL = PROJECT_ROOT / "models" / "certificates.tar.gz"


@lru_cache(maxsize=1)
def project_knowledge() -> KnowledgeBase:
    return load_knowledge(PROJECT_ROOT / "knowledge")


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return project_knowledge()


@lru_cache(maxsize=1)
def domain_gate() -> DomainGate:
    return DomainGate(project_knowledge())


@pytest.fixture(scope="session")
def gate() -> DomainGate:
    return domain_gate()


def gated(message: dict[str, Any]) -> dict[str, Any]:
    """A hand-made parsed message as the Rasa server's pipeline hands it to the action server:
    with what the domain gate found in it, when the gate looks into messages of its intent."""
    gate = domain_gate()
    intent = str((message.get("intent") or {}).get("name") or "")
    # ask_unlisted comes only from the gate, which found the name.
    if intent not in gate.considered | {UNLISTED_INTENT}:
        return dict(message)
    return {**message, FINDINGS_KEY: gate.findings(message).as_dict()}


@pytest.fixture(autouse=True)
def settings_read_afresh() -> Iterator[None]:
    """Each test reads the settings of its own environment (a process reads them once)."""
    current_settings.cache_clear()
    yield
    current_settings.cache_clear()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def dialogue(kb: KnowledgeBase, settings: Settings) -> Dialogue:
    return Dialogue(kb, settings)


@lru_cache(maxsize=1)
def load_localized_responses() -> dict[str, dict[str, str]]:
    """Every response's text by language, as generated from knowledge/ (domain.yml has none)."""
    assert "responses" not in yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    generated = yaml.safe_load((load_settings().generated_dir / RESPONSES).read_text(encoding="utf-8"))["responses"]
    return {name: response_languages(variants) for name, variants in generated.items()}


@pytest.fixture(scope="session")
def localized_responses() -> dict[str, dict[str, str]]:
    return load_localized_responses()


def response_languages(variants: list[dict[str, Any]]) -> dict[str, str]:
    """A response's variations by language: the one without a condition is English."""
    texts = {}
    for variant in variants:
        conditions = variant.get("condition") or []
        language = next((c["value"] for c in conditions if c.get("name") == LANGUAGE_SLOT), DEFAULT_LANGUAGE)
        texts[language] = variant["text"]
    return texts


@pytest.fixture(scope="session")
def responses(localized_responses: dict[str, dict[str, str]]) -> dict[str, str]:
    """Every response's English text."""
    return {name: texts[DEFAULT_LANGUAGE] for name, texts in localized_responses.items()}


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


@pytest.fixture(scope="session")
def parse(trained_model: Path) -> ParseFunction:
    """Parses a message with the trained model (loaded once for every held-out test)."""
    return model_parser(trained_model)


@lru_cache(maxsize=1)
def training_texts() -> frozenset[str]:
    """Every NLU training example, normalised: held-out sets must not share any."""
    texts: set[str] = set()
    for path in sorted((PROJECT_ROOT / "data").rglob("*.yml")):
        if "nlu:" in path.read_text(encoding="utf-8"):
            texts |= {normalize_phrase(example.text) for example in load_examples(path)}
    return frozenset(texts)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


# The PostgreSQL that runs on every machine of this kind (trust authentication).
POSTGRES_ADMIN_URL = os.environ.get("BOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards. Without a PostgreSQL
    server the test is skipped, except in CI (CI=true), where the server must be there."""
    import psycopg2
    from sqlalchemy.engine import make_url

    def run(statement: str) -> None:
        # A connection each time: a test may restart the server in between.
        admin = psycopg2.connect(POSTGRES_ADMIN_URL, connect_timeout=5)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(statement)
        finally:
            admin.close()

    name = f"bot_test_{uuid.uuid4().hex}"
    try:
        run(f'CREATE DATABASE "{name}"')
    except psycopg2.OperationalError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN_URL}: {error}")
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        run(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_database() -> Iterator[str]:
    with new_postgres_database() as url:
        yield url



def problems_of(root: Path) -> list[Problem]:
    """The problems loading the knowledge base in `root` reports (it must report some)."""
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    return caught.value.problems

def suggestions(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A message's "did you mean" buttons (not the "helpful?" ones under an answer)."""
    return [button for button in message.get("buttons") or [] if not is_feedback(str(button.get("payload")))]


# Messages vague enough for "Did you mean" buttons. Which of them gets buttons depends on the
# trained model, so there are several.
VAGUE_MESSAGES = ("blah blah", "hmm", "certificate stuff", "something about papers", "ok so", "what about it",
                  "the thing", "uh", "about certificates", "something about certificates", "cert things")


@pytest.fixture(params=["sqlite", "postgresql"])
def review_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReviewStore]:
    if request.param == "sqlite":
        store = ReviewStore(f"sqlite:///{tmp_path / 'conversations.db'}")
        yield store
        store.close()
        return
    with new_postgres_database() as url:
        store = ReviewStore(url)
        yield store
        store.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium (Playwright cannot download its own here), kept off the network."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--disable-quic"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """An English browser unless a test asks for another locale."""
    return {**browser_context_args, "locale": "en-US"}
