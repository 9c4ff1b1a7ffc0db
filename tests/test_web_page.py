"""The web page in a real browser: Debian's chromium, driven by Playwright, against the
real servers. Every request to a host other than localhost is blocked and recorded, and
each test checks that the page made none."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bot.certificates.lookup import CertificateLookup, render
from bot.certificates.store import SqliteCertificateStore
from bot.knowledge.model import KnowledgeBase
from bot.processes.scaled import ScaledStack
from bot.processes.stack import StackConfig
from bot.server.model_reload import SWITCHED
from bot.settings import PROJECT_ROOT, Settings
from tests.browser import WAIT_MS, ask, block_outside_requests, first_sentence, messages
from tests.conftest import VAGUE_MESSAGES, suggestions
from tests.servers import demo_database, started_scaled, started_stack

SCREENSHOT = PROJECT_ROOT / "results" / "browser" / "page.png"
SCREENSHOT_ZH = PROJECT_ROOT / "results" / "browser" / "page-zh.png"
SCREENSHOT_CONSOLE = PROJECT_ROOT / "results" / "browser" / "staff-console.png"
SCREENSHOT_TRAINING = PROJECT_ROOT / "results" / "browser" / "staff-training.png"
# A training with the console's accepted wordings (Rasa's cache keeps what did not change).
TRAINING_MS = 600_000


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_database(tmp_path_factory)


@pytest.fixture(scope="module")
def project(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of knowledge/, data/ and the model for the servers, which the staff console
    may change and train."""
    folder = tmp_path_factory.mktemp("project")
    for name in ("knowledge", "data"):
        shutil.copytree(PROJECT_ROOT / name, folder / name)
    (folder / "models").mkdir()
    shutil.copy(trained_model, folder / "models" / trained_model.name)
    return folder


@pytest.fixture(scope="module")
def running_site(database: Path, project: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StackConfig, Path]]:
    """The servers, and the folder with their conversation database and log."""
    env = {"BOT_DATABASE": str(database), "BOT_KNOWLEDGE_DIR": str(project / "knowledge"),
           "BOT_DATA_DIR": str(project / "data"), "BOT_MODEL_CHECK_SECONDS": "1"}
    # Two Rasa server processes, as deployed: the widget's WebSocket stays with one of them.
    with started_stack(project / "models" / "certificates.tar.gz", tmp_path_factory, env, with_page=True,
                       workers=2) as (config, log_path):
        yield config, log_path.parent


@pytest.fixture(scope="module")
def site(running_site: tuple[StackConfig, Path]) -> StackConfig:
    return running_site[0]


@pytest.fixture
def outside_requests(context: BrowserContext) -> Iterator[list[str]]:
    """The requests to other hosts, blocked; the test must make none."""
    blocked = block_outside_requests(context)
    yield blocked
    assert blocked == [], f"the page tried to reach other hosts: {blocked}"


@pytest.fixture
def chat(site: StackConfig, page: Page, outside_requests: list[str]) -> Page:
    page.goto(f"http://localhost:{site.web_port}/")
    return page


def test_page_introduces_the_assistant_and_the_widget_greets(chat: Page, responses: dict[str, str]) -> None:
    expect(chat.locator("h1:visible")).to_have_text("Certificate assistant")
    messages(chat).to_contain_text(first_sentence(responses["utter_greet"]), timeout=WAIT_MS)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    chat.screenshot(path=str(SCREENSHOT), full_page=True)


def test_a_question_is_answered(chat: Page, responses: dict[str, str]) -> None:
    messages(chat).to_contain_text(first_sentence(responses["utter_greet"]), timeout=WAIT_MS)
    ask(chat, "what do i do when my certificate has expired?")
    answer = responses["utter_faq_answer__expiry_and_renewal"]
    messages(chat).to_contain_text(first_sentence(answer), timeout=WAIT_MS)
    messages(chat).to_contain_text(answer.splitlines()[-1], timeout=WAIT_MS)  # the source line


def vague_message_with_suggestions(site: StackConfig) -> str:
    """A message this model answers with "Did you mean" buttons (which one varies by training)."""
    for text in VAGUE_MESSAGES:
        reply = requests.post(site.rest_url, json={"sender": uuid.uuid4().hex, "message": text}, timeout=30)
        if reply.json() and suggestions(reply.json()[0]):
            return text
    pytest.fail("no vague message was answered with suggestions")


def test_a_suggestion_button_is_answered_when_clicked(site: StackConfig, chat: Page, kb: KnowledgeBase,
                                                      settings: Settings, responses: dict[str, str]) -> None:
    vague = vague_message_with_suggestions(site)
    messages(chat).to_contain_text(first_sentence(responses["utter_greet"]), timeout=WAIT_MS)
    ask(chat, vague)
    button = chat.locator(".rw-reply").first
    expect(button).to_be_visible(timeout=WAIT_MS)
    question = button.inner_text().strip()
    [entry] = [entry for entry in kb.faq if entry.question["en"] == question]
    button.click()
    messages(chat).to_contain_text(first_sentence(responses[f"utter_faq_answer__{entry.id}"]), timeout=WAIT_MS)


def test_a_certificate_status_lookup(chat: Page, database: Path, kb: KnowledgeBase, settings: Settings,
                                     responses: dict[str, str]) -> None:
    messages(chat).to_contain_text(first_sentence(responses["utter_greet"]), timeout=WAIT_MS)
    ask(chat, "check a certificate")
    messages(chat).to_contain_text(first_sentence(responses["utter_ask_certificate_number"]), timeout=WAIT_MS)
    ask(chat, "DEMO-VALID-0001")
    messages(chat).to_contain_text(first_sentence(responses["utter_ask_holder_name"]), timeout=WAIT_MS)
    ask(chat, "Wang Xiaoming")
    result = CertificateLookup.without_limits(kb, settings, SqliteCertificateStore(database)).check(
        "DEMO-VALID-0001", "Wang Xiaoming", "someone", date.today(), "en")
    assert result.reply == "valid"
    messages(chat).to_contain_text(first_sentence(render(kb, result, "en")), timeout=WAIT_MS)


def ask_reload_and_follow_up(page: Page, responses: dict[str, str]) -> None:
    """A question, its answer, a reload, and a follow-up answered in the same conversation."""
    messages(page).to_contain_text(first_sentence(responses["utter_greet"]), timeout=WAIT_MS)
    ask(page, "do tour guides need a certificate?")
    messages(page).to_contain_text(first_sentence(responses["utter_catalog_tour_guide__needed"]), timeout=WAIT_MS)
    page.reload()
    messages(page).to_contain_text("do tour guides need a certificate?", timeout=WAIT_MS)
    # The follow-up only makes sense in the same conversation: the server kept its context.
    ask(page, "what about lawyers?")
    messages(page).to_contain_text(first_sentence(responses["utter_catalog_lawyer__needed"]), timeout=WAIT_MS)


def test_the_conversation_continues_after_a_reload(chat: Page, responses: dict[str, str]) -> None:
    ask_reload_and_follow_up(chat, responses)


def polling_handshake(site: StackConfig, origin: str) -> requests.Response:
    url = f"http://127.0.0.1:{site.rasa_port}/socket.io/"
    return requests.get(url, params={"EIO": "4", "transport": "polling"}, headers={"Origin": origin}, timeout=10)


def test_the_socket_accepts_the_pages_own_origin_only(site: StackConfig) -> None:
    own = f"http://localhost:{site.web_port}"
    accepted = polling_handshake(site, own)
    assert accepted.status_code == 200
    assert accepted.headers["Access-Control-Allow-Origin"] == own
    assert polling_handshake(site, "http://elsewhere.example").status_code == 400
    assert polling_handshake(site, f"http://localhost:{site.web_port + 1}").status_code == 400


@pytest.mark.parametrize("requested", [None, "not-a-session-id", "0" * 31, {"nested": "object"}])
def test_a_malformed_session_id_is_replaced_by_a_new_one(site: StackConfig, requested: Any) -> None:
    # The widget's way in: WebSocket only, from the page's origin.
    client = socketio.Client(websocket_extra_options={"origin": f"http://localhost:{site.web_port}"})
    confirmed: queue.Queue[str] = queue.Queue()
    client.on("session_confirm", confirmed.put)
    client.connect(f"http://127.0.0.1:{site.rasa_port}", transports=["websocket"])
    try:
        client.emit("session_request", {"session_id": requested})
        assert re.fullmatch(r"[0-9a-f]{32}", confirmed.get(timeout=10))
    finally:
        client.disconnect()


@pytest.fixture
def chinese_chat(site: StackConfig, browser: Browser) -> Iterator[Page]:
    """The page in a browser set to Chinese, with outside requests blocked as above."""
    context = browser.new_context(locale="zh-CN")
    blocked = block_outside_requests(context)
    page = context.new_page()
    page.goto(f"http://localhost:{site.web_port}/")
    yield page
    context.close()
    assert blocked == [], f"the page tried to reach other hosts: {blocked}"


def test_a_chinese_browser_gets_the_page_and_the_answers_in_chinese(
    chinese_chat: Page, localized_responses: dict[str, dict[str, str]]
) -> None:
    zh = {name: texts["zh"] for name, texts in localized_responses.items()}
    en = {name: texts["en"] for name, texts in localized_responses.items()}
    expect(chinese_chat.locator("h1:visible")).to_have_text("证书助手")
    messages(chinese_chat).to_contain_text(first_sentence(zh["utter_greet"]), timeout=WAIT_MS)
    ask(chinese_chat, "安全员证过期了还能用吗")
    answer = zh["utter_catalog_safety_production_manager__expiry"]
    messages(chinese_chat).to_contain_text(first_sentence(answer), timeout=WAIT_MS)
    messages(chinese_chat).to_contain_text(answer.splitlines()[-1], timeout=WAIT_MS)  # the source line
    SCREENSHOT_ZH.parent.mkdir(parents=True, exist_ok=True)
    chinese_chat.screenshot(path=str(SCREENSHOT_ZH), full_page=True)

    # The switch changes the page and the assistant's language, and keeps the conversation.
    chinese_chat.locator("[data-switch-language=en]").click()
    expect(chinese_chat.locator("h1:visible")).to_have_text("Certificate assistant")
    messages(chinese_chat).to_contain_text(first_sentence(en["utter_language_switched"]), timeout=WAIT_MS)
    chinese_chat.reload()
    expect(chinese_chat.locator("h1:visible")).to_have_text("Certificate assistant")
    messages(chinese_chat).to_contain_text("安全员证过期了还能用吗", timeout=WAIT_MS)
    # The follow-up needs the old context; written in Chinese, it is answered in Chinese.
    ask(chinese_chat, "那律师呢？")
    messages(chinese_chat).to_contain_text(first_sentence(zh["utter_catalog_lawyer__expiry"]), timeout=WAIT_MS)


@pytest.fixture(scope="module")
def scaled_site(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledStack]:
    with started_scaled(trained_model, tmp_path_factory.mktemp("scaled")) as stack:
        yield stack


def test_the_widget_through_nginx_answers_and_continues_after_a_reload(
        scaled_site: ScaledStack, page: Page, outside_requests: list[str], responses: dict[str, str]) -> None:
    """Scaled out (issue #12): the page and its WebSocket through nginx, two replicas behind it."""
    page.goto(f"http://localhost:{scaled_site.config.web_port}/")
    ask_reload_and_follow_up(page, responses)


def test_staff_see_the_widgets_unanswered_questions_grouped_and_accept_them(
        running_site: tuple[StackConfig, Path], project: Path, chat: Page, context: BrowserContext,
        responses: dict[str, str]) -> None:
    """The staff console (issue #27): questions asked in the widget that got "did you mean"
    are grouped with their count; accepted as phrasings of an entry, the diff shows and
    the knowledge file has them."""
    site, folder = running_site
    added = subprocess.run([sys.executable, "-m", "bot", "staff", "add", "alice"], input="a long enough password\n",
                           capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
                           env={**os.environ, "BOT_TRACKER_DB_URL": f"sqlite:///{folder / 'conversations.db'}"})
    assert added.returncode == 0, added.stderr
    vague = vague_message_with_suggestions(site)  # asked over REST (and by other tests of this module)
    console = context.new_page()
    console.goto(f"http://localhost:{site.web_port}/staff/")
    expect(console.locator("h1")).to_have_text("Log in")
    console.get_by_label("Account").fill("alice")
    console.get_by_label("Password").fill("a long enough password")
    console.get_by_role("button", name="Log in").click()
    expect(console.locator("h1")).to_have_text("To review")
    group = console.locator("section.group", has_text=vague).first
    asked_before = int(group.locator(".count").inner_text().rstrip("×"))

    messages(chat).to_contain_text(first_sentence(responses["utter_greet"]), timeout=WAIT_MS)
    for text in (vague, vague, "月嫂证有用吗"):  # the last has no entry: a group of its own
        answers = chat.locator(".rw-response").count()
        ask(chat, text)
        expect(chat.locator(".rw-response")).not_to_have_count(answers, timeout=WAIT_MS)
    # The reply reaches the page as the conversation is being stored: look until it is.
    for _ in range(20):
        console.reload()
        if console.locator("section.group", has_text="月嫂证有用吗").count() and \
                group.locator(".count").inner_text() == f"{asked_before + 2}×":
            break
        console.wait_for_timeout(250)
    expect(group.locator(".count")).to_have_text(f"{asked_before + 2}×")
    expect(console.locator("section.group", has_text="月嫂证有用吗")).to_have_count(1)
    SCREENSHOT_CONSOLE.parent.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOT_CONSOLE), full_page=True)

    group.locator("select[name=entry]").select_option("what_is_a_qualification_certificate")
    group.get_by_role("button", name="Add to entry").click()
    expect(console.locator(".diff")).to_contain_text("+++ b/knowledge/faq/what_is_a_qualification_certificate.yml")
    expect(console.locator(".diff")).to_contain_text(f"+    - {vague}")
    entry = project / "knowledge" / "faq" / "what_is_a_qualification_certificate.yml"
    assert f"    - {vague}\n" in entry.read_text(encoding="utf-8")
    console.get_by_role("link", name="Back to the queue").click()
    expect(console.locator(f"section.group:has-text('{vague}')")).to_have_count(0)

    # Trained, the new model answers the question from that entry; both server processes
    # switch to it, and the widget's conversation goes on.
    console.get_by_role("link", name="Train").click()
    console.get_by_role("button", name="Train now").click()
    expect(console.locator("p.status")).to_contain_text("Succeeded", timeout=TRAINING_MS)
    expect(console.locator("table.checks tr.passed", has_text=vague)).to_have_count(1)
    console.screenshot(path=str(SCREENSHOT_TRAINING), full_page=True)
    wait_until_logged(folder / "servers.log", SWITCHED, times=2)
    ask(chat, vague)
    answer = first_sentence(responses["utter_faq_answer__what_is_a_qualification_certificate"])
    messages(chat).to_contain_text(answer, timeout=WAIT_MS)

    # Marked not helpful, the question and its answer are in the queue.
    chat.locator(".rw-reply", has_text="Not helpful").last.click()
    messages(chat).to_contain_text(first_sentence(responses["utter_feedback_thanks"]), timeout=WAIT_MS)
    for _ in range(20):
        console.goto(f"http://localhost:{site.web_port}/staff/?outcome=not_helpful")
        if console.locator("section.group", has_text=vague).count():
            break
        console.wait_for_timeout(250)
    expect(console.locator("section.group", has_text=vague)).to_contain_text("marked not helpful")


def wait_until_logged(log: Path, text: str, times: int, timeout: float = 120.0) -> None:
    """Waits until `text` is in the log `times` times."""
    deadline = time.monotonic() + timeout
    while log.read_text(encoding="utf-8", errors="replace").count(text) < times:
        assert time.monotonic() < deadline, f"{text!r} was not logged {times} times within {timeout:.0f} s"
        time.sleep(0.5)


def test_a_model_that_cannot_be_loaded_leaves_the_servers_answering(
        running_site: tuple[StackConfig, Path], project: Path, chat: Page, responses: dict[str, str]) -> None:
    site, folder = running_site
    broken = project / "models" / "broken.tar.gz"
    broken.write_bytes(b"not a model")
    broken.replace(project / "models" / "certificates.tar.gz")
    wait_until_logged(folder / "servers.log", "could not be loaded", times=2)
    messages(chat).to_contain_text(first_sentence(responses["utter_greet"]), timeout=WAIT_MS)
    ask(chat, "do tour guides need a certificate?")
    messages(chat).to_contain_text(first_sentence(responses["utter_catalog_tour_guide__needed"]), timeout=WAIT_MS)
