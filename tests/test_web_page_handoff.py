"""Handing a widget conversation to staff, in Chromium with two pages: a user on the web page
and a member of staff in the console (issue #28). Every request to another host is blocked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bot.knowledge.model import KnowledgeBase
from bot.processes.stack import StackConfig
from bot.settings import PROJECT_ROOT
from tests.browser import WAIT_MS, ask, block_outside_requests, first_sentence, messages
from tests.servers import started_stack

PASSWORD = "a long enough password"
# Long enough for a member of staff to take the conversation in the live test, short enough
# to wait for in the timeout test.
WAIT_SECONDS = 12
SCREENSHOTS = PROJECT_ROOT / "results" / "browser"
STAFF_TEXTS = PROJECT_ROOT / "web" / "staff" / "texts.yml"


@pytest.fixture(scope="module")
def running_site(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StackConfig, Path]]:
    # Two Rasa server processes, as deployed: the widget's socket is held by one of them.
    env = {"BOT_HANDOFF_WAIT_SECONDS": str(WAIT_SECONDS)}
    with started_stack(trained_model, tmp_path_factory, env, with_page=True, workers=2) as (config, log_path):
        add_staff(config, "carol")
        yield config, log_path.parent


def add_staff(config: StackConfig, name: str) -> None:
    added = subprocess.run([sys.executable, "-m", "bot", "staff", "add", name], input=f"{PASSWORD}\n",
                           capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
                           env={**os.environ, **config.settings.environment()})
    assert added.returncode == 0, added.stderr


@pytest.fixture
def user(running_site: tuple[StackConfig, Path], context: BrowserContext) -> Iterator[Page]:
    blocked = block_outside_requests(context)
    page = context.new_page()
    page.goto(f"http://localhost:{running_site[0].web_port}/")
    yield page
    assert blocked == [], f"the page tried to reach other hosts: {blocked}"


def staff_console(browser: Browser, web_port: int, name: str, language: str = "en") -> Page:
    """A member of staff, in a browser context of their own in their language, logged in on
    the live chats page and available."""
    t = {key: texts[language] for key, texts in yaml.safe_load(STAFF_TEXTS.read_text(encoding="utf-8")).items()}
    context = browser.new_context(locale="zh-CN" if language == "zh" else "en-US")
    block_outside_requests(context)
    page = context.new_page()
    page.goto(f"http://localhost:{web_port}/staff/")
    page.get_by_label(t["name"]).fill(name)
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["login"]).click()
    page.get_by_role("link", name=t["live"]).click()
    expect(page.locator("h1")).to_have_text(t["live"])
    if page.get_by_role("button", name=t["become_available"]).count():
        page.get_by_role("button", name=t["become_available"]).click()
    expect(page.locator("#my-status")).to_have_text(t["you_are_available"])
    return page


def test_staff_take_a_widget_conversation_reply_and_hand_it_back(
        running_site: tuple[StackConfig, Path], user: Page, browser: Browser, kb: KnowledgeBase,
        responses: dict[str, str]) -> None:
    site = running_site[0]
    replies = kb.conversation_replies
    staff = staff_console(browser, site.web_port, "carol")
    messages(user).to_contain_text(first_sentence(responses["utter_greet"]), timeout=WAIT_MS)
    ask(user, "do tour guides need a certificate?")
    messages(user).to_contain_text(first_sentence(responses["utter_catalog_tour_guide__needed"]), timeout=WAIT_MS)
    ask(user, "I want to talk to a person")
    messages(user).to_contain_text("I have asked a member of staff to join this chat.", timeout=WAIT_MS)
    expect(user.locator(".rw-reply", has_text="Cancel")).to_be_visible()

    # The request appears in the console without a reload, with the conversation so far.
    waiting = staff.locator("#waiting section.conversation")
    expect(waiting).to_have_count(1, timeout=WAIT_MS)
    expect(waiting).to_contain_text("do tour guides need a certificate?")
    expect(waiting).to_contain_text("web chat")
    expect(staff).to_have_title(re.compile(r"^\(1\) "))  # seen from another tab
    waiting.get_by_role("button", name="Take").click()
    mine = staff.locator("#mine section.conversation")
    expect(mine).to_have_count(1, timeout=WAIT_MS)
    messages(user).to_contain_text(replies["handoff_joined"]["en"], timeout=WAIT_MS)

    mine.locator("textarea").fill("Hello, I am Carol. Which certificate is it about?")
    mine.get_by_role("button", name="Send").click()
    messages(user).to_contain_text("Staff: Hello, I am Carol. Which certificate is it about?", timeout=WAIT_MS)
    answers = user.locator(".rw-response").count()
    ask(user, "My welding certificate expired last month.")
    expect(mine.locator(".transcript")).to_contain_text("My welding certificate expired last month.", timeout=WAIT_MS)
    user.wait_for_timeout(1000)
    expect(user.locator(".rw-response")).to_have_count(answers)  # the assistant stayed silent
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    staff.screenshot(path=str(SCREENSHOTS / "handoff-console.png"), full_page=True)
    user.screenshot(path=str(SCREENSHOTS / "handoff-widget.png"))

    mine.get_by_role("button", name="Hand back to the assistant").click()
    expect(mine).to_have_count(0, timeout=WAIT_MS)
    messages(user).to_contain_text(first_sentence(replies["handoff_handed_back"]["en"]), timeout=WAIT_MS)
    ask(user, "what about lawyers?")  # the conversation's context is back with the assistant
    messages(user).to_contain_text(first_sentence(responses["utter_catalog_lawyer__needed"]), timeout=WAIT_MS)
    staff.context.close()


def test_nobody_takes_it_in_time_the_user_leaves_a_message_and_staff_answer_it(
        running_site: tuple[StackConfig, Path], user: Page, browser: Browser, kb: KnowledgeBase) -> None:
    site = running_site[0]
    replies = kb.conversation_replies
    staff = staff_console(browser, site.web_port, "carol", "zh")  # there, but busy
    ask(user, "转人工")
    messages(user).to_contain_text("正在为您转接人工客服", timeout=WAIT_MS)
    # After BOT_HANDOFF_WAIT_SECONDS the server itself tells the user, on their socket.
    messages(user).to_contain_text(first_sentence(replies["handoff_timed_out"]["zh"]),
                                   timeout=(WAIT_SECONDS + 20) * 1000)
    user.locator(".rw-reply", has_text="留言").last.click()
    messages(user).to_contain_text(replies["handoff_ask_question"]["zh"], timeout=WAIT_MS)
    ask(user, "焊工证过期了还能补考吗？")
    messages(user).to_contain_text("如您愿意，还可以留下联系方式", timeout=WAIT_MS)
    user.locator(".rw-reply", has_text="跳过").last.click()
    messages(user).to_contain_text("您的问题已记录为第", timeout=WAIT_MS)

    staff.get_by_role("link", name="用户留言").click()
    ticket = staff.locator("section.ticket.open", has_text="焊工证过期了还能补考吗？")
    expect(ticket).to_have_count(1)
    ticket.locator("textarea").fill("证书过期后需要重新参加考核，具体请咨询发证机构。")
    ticket.get_by_role("button", name="发送回复").click()
    messages(user).to_contain_text("证书过期后需要重新参加考核，具体请咨询发证机构。", timeout=WAIT_MS)
    answered = staff.locator("section.ticket.answered", has_text="焊工证过期了还能补考吗？")
    for _ in range(20):  # delivery is recorded right after the message is sent
        staff.reload()
        if answered.locator(".delivery").inner_text() == "已送达":
            break
        staff.wait_for_timeout(250)
    expect(answered.locator(".delivery")).to_have_text("已送达")
    staff.screenshot(path=str(SCREENSHOTS / "handoff-tickets-zh.png"), full_page=True)
    staff.context.close()


def test_cancelling_while_waiting(running_site: tuple[StackConfig, Path], user: Page, browser: Browser,
                                  kb: KnowledgeBase) -> None:
    staff = staff_console(browser, running_site[0].web_port, "carol")
    ask(user, "talk to a human please")
    messages(user).to_contain_text("I have asked a member of staff to join this chat.", timeout=WAIT_MS)
    expect(staff.locator("#waiting section.conversation")).to_have_count(1, timeout=WAIT_MS)
    user.locator(".rw-reply", has_text="Cancel").last.click()
    messages(user).to_contain_text(first_sentence(kb.conversation_replies["handoff_cancelled"]["en"]),
                                   timeout=WAIT_MS)
    expect(staff.locator("#waiting section.conversation")).to_have_count(0, timeout=WAIT_MS)
    staff.context.close()
