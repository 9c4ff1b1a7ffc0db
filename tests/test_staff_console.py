"""The staff console over HTTP, on the web page's own server: logins (cookie, CSRF, limits
per account and per address, logout), no page or form without a session, decisions on
the queue as the command line takes them, the record of who did what, both languages."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from bot.handoff.desk import Desk, Request
from bot.handoff.store import OFFERED, USER, HandoffStore, Line
from bot.knowledge.model import KnowledgeBase
from bot.processes.stack import free_port
from bot.processes.webpage import PageConfig, serve_page
from bot.review.accounts import add_account
from bot.review.console import StaffConsole
from bot.review.outcomes import HEDGED, UNLISTED_OUTCOME
from bot.review.store import ReviewStore
from bot.review.tables import feedback, insert_new, turns
from bot.review.trainings import FAILED, Trainings
from bot.settings import PROJECT_ROOT, load_settings

PASSWORD = "a long enough password"


@dataclass(frozen=True)
class Console:
    url: str
    folder: Path

    def database(self) -> sqlite3.Connection:
        return sqlite3.connect(self.folder / "conversations.db")


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    for folder in ("knowledge", "data"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    settings = load_settings({"BOT_TRACKER_DB_URL": f"sqlite:///{tmp_path / 'conversations.db'}",
                              "BOT_LIMITS_URL": f"sqlite:///{tmp_path / 'limits.db'}",
                              "BOT_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
                              "BOT_DATA_DIR": str(tmp_path / "data"),
                              "BOT_STAFF_LOGIN_FAILURES_PER_ACCOUNT": "3",
                              "BOT_STAFF_LOGIN_FAILURES_PER_ADDRESS": "5"})
    store = ReviewStore(settings.tracker_db_url)
    add_account(store, "alice", PASSWORD, "test")
    rows = [{"turn_key": f"s:{i}", "sender_id": "s", "asked_at": 1_700_000_000.0 + i, "language": "zh",
             "outcome": outcome, "for_review": True, "text": text}
            for i, (text, outcome) in enumerate([("证书过期咋整", HEDGED), ("证书过期了咋整", HEDGED),
                                                 ("月嫂证有用吗", UNLISTED_OUTCOME)])]
    with store.engine.begin() as connection:
        insert_new(connection, turns, rows, "turn_key")
    store.close()
    config = PageConfig(host="127.0.0.1", port=free_port(), rasa_port=5005, console=StaffConsole(settings))
    with serve_page(config) as url:
        yield Console(f"{url}staff/", tmp_path)


def logged_in(console: Console, name: str = "alice", password: str = PASSWORD,
              session: requests.Session | None = None) -> tuple[requests.Session, requests.Response]:
    session = session or requests.Session()
    form = session.get(f"{console.url}login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, form.text
    reply = session.post(f"{console.url}login", data={"csrf": csrf.group(1), "name": name, "password": password},
                         timeout=10, allow_redirects=False)
    return session, reply


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_login_opens_the_queue_grouped_with_counts(console: Console) -> None:
    session, reply = logged_in(console)
    assert reply.status_code == 303 and reply.headers["Location"] == "/staff/"
    cookie = next(value for name, value in reply.raw.headers.items()
                  if name == "Set-Cookie" and "staff_session=" in value)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff/" in cookie
    queue = session.get(console.url, timeout=10)
    assert queue.status_code == 200 and "no-store" in queue.headers["Cache-Control"]
    assert "frame-ancestors 'none'" in queue.headers["Content-Security-Policy"]
    first = queue.text.split('id="g1"')[1].split("</section>")[0]
    assert "2×" in first and "证书过期咋整" in first and "证书过期了咋整" in first
    assert 'id="g3"' in queue.text and "月嫂证有用吗" in queue.text
    assert "id=\"g1\"" not in session.get(console.url, params={"outcome": "unlisted"}, timeout=10).text


def test_no_page_or_form_works_without_a_session(console: Console) -> None:
    for path in ("", "history", "dashboard", "train", "groups/g1/dismiss", "live", "live/state", "tickets"):
        page = requests.get(f"{console.url}{path}", timeout=10, allow_redirects=False)
        assert page.status_code in (303, 404) and "证书过期" not in page.text
    for path in ("groups/g1/dismiss", "groups/g1/accept", "train", "logout", "live/available", "live/1/take",
                 "live/1/reply", "tickets/1/answer"):
        form = requests.post(f"{console.url}{path}", data={"csrf": "x", "entry": "expiry_and_renewal"}, timeout=10,
                             allow_redirects=False)
        assert form.status_code == 303 and form.headers["Location"] == "/staff/login"
    with console.database() as database:
        assert database.execute("SELECT COUNT(*) FROM review_turns WHERE status != 'open'").fetchone() == (0,)
        assert database.execute("SELECT COUNT(*) FROM training_runs").fetchone() == (0,)


def test_every_form_refuses_a_wrong_csrf_token_or_another_origin(console: Console) -> None:
    session, _ = logged_in(console)
    for path in ("groups/g1/dismiss", "groups/g1/accept", "groups/g1/out-of-scope", "groups/g1/new-entry", "train",
                 "logout", "live/available", "live/1/take", "tickets/1/answer"):
        assert session.post(f"{console.url}{path}", data={"csrf": "wrong"}, timeout=10).status_code == 403
        assert session.post(f"{console.url}{path}", data={"entry": "expiry_and_renewal"}, timeout=10).status_code == 403
    right = csrf_of(session.get(console.url, timeout=10).text)
    other_site = session.post(f"{console.url}groups/g1/dismiss", data={"csrf": right}, timeout=10,
                              headers={"Origin": "http://evil.example"})
    assert other_site.status_code == 403
    # The login form too: no token, or a token that is not the one its cookie holds.
    stranger = requests.post(f"{console.url}login", data={"name": "alice", "password": PASSWORD}, timeout=10)
    assert stranger.status_code == 403
    with console.database() as database:
        assert database.execute("SELECT COUNT(*) FROM review_turns WHERE status != 'open'").fetchone() == (0,)
        assert database.execute("SELECT COUNT(*) FROM training_runs").fetchone() == (0,)
    assert session.get(console.url, timeout=10).status_code == 200  # still logged in


def test_failed_logins_are_limited_per_account_and_per_address(console: Console) -> None:
    for _ in range(3):
        assert logged_in(console, password="wrong password")[1].status_code == 401
    # The account refuses even the right password until the window has passed.
    refused = logged_in(console)[1]
    assert refused.status_code == 429 and "15" in refused.text
    # From the same address, other accounts too once the address has failed 5 times.
    for _ in range(2):
        assert logged_in(console, name="bob", password="wrong password")[1].status_code == 401
    assert logged_in(console, name="carol", password="wrong password")[1].status_code == 429
    with console.database() as database:
        actions = [row[0] for row in database.execute("SELECT action FROM staff_audit WHERE action LIKE 'login%'")]
    assert actions.count("login_failed") == 5 and "login" not in actions


def shown_questions(page: str, group: str) -> str:
    found = re.search(rf'action="/staff/groups/{group}/accept".*?name="questions" value="([^"]*)"', page, re.S)
    assert found, page
    return found.group(1)


def test_a_decision_is_taken_shown_and_recorded_and_logout_ends_the_session(console: Console) -> None:
    session, _ = logged_in(console)
    queue = session.get(console.url, timeout=10).text
    csrf = csrf_of(queue)
    assert shown_questions(queue, "g1") == "1,2"
    # A group that changed after it was shown (a question joined it) is not decided on.
    changed = session.post(f"{console.url}groups/g1/accept", timeout=10,
                           data={"csrf": csrf, "entry": "expiry_and_renewal", "questions": "1"})
    assert changed.status_code == 400 and "changed" in changed.text
    accepted = session.post(f"{console.url}groups/g1/accept", timeout=10,
                            data={"csrf": csrf, "entry": "expiry_and_renewal", "questions": "1,2"})
    assert accepted.status_code == 200
    assert "+++ b/knowledge/faq/expiry_and_renewal.yml" in accepted.text and "+    - 证书过期咋整" in accepted.text
    faq = (console.folder / "knowledge" / "faq" / "expiry_and_renewal.yml").read_text(encoding="utf-8")
    assert "    - 证书过期咋整\n    - 证书过期了咋整\n" in faq
    wrong_aspect = session.post(f"{console.url}groups/g3/accept", timeout=10,
                                data={"csrf": csrf, "entry": "constructor", "questions": "3"})
    assert wrong_aspect.status_code == 400 and "which aspect" in wrong_aspect.text
    assert session.post(f"{console.url}groups/g3/new-entry", data={"csrf": csrf, "questions": "3"},
                        timeout=10).status_code == 200
    history = session.get(f"{console.url}history", timeout=10).text
    assert re.search(r"alice</td><td>accepted</td><td>.*?expiry_and_renewal", history)
    assert "alice</td><td>new_entry" in history and "alice</td><td>login" in history
    assert "nothing to review" in session.get(console.url, timeout=10).text.lower()
    session.post(f"{console.url}logout", data={"csrf": csrf}, timeout=10)
    assert session.get(console.url, timeout=10, allow_redirects=False).status_code == 303


def test_the_console_speaks_chinese_to_a_chinese_browser_and_switches(console: Console) -> None:
    session = requests.Session()
    session.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    assert "登录" in session.get(f"{console.url}login", timeout=10).text
    logged_in(console, session=session)
    queue = session.get(console.url, timeout=10).text
    assert "待处理问题" in queue and "加入条目" in queue and "反问确认" in queue
    english = session.get(console.url, params={"lang": "en"}, timeout=10).text
    assert "To review" in english and "Add to entry" in english
    assert "To review" in session.get(console.url, timeout=10).text  # the choice is remembered


def test_the_dashboard_counts_messages_per_day_and_language(console: Console) -> None:
    now = time.time()
    store = ReviewStore(f"sqlite:///{console.folder / 'conversations.db'}")
    rows = [{"turn_key": f"d:{i}", "sender_id": "d", "asked_at": now - i, "language": language, "outcome": outcome,
             "for_review": False, "answer_seconds": 0.2}
            for i, (language, outcome) in enumerate([("zh", "answered")] * 3 + [("zh", "hedged"), ("en", "declined")])]
    marks = [{"turn_key": f"d:{i}", "sender_id": "d", "at": now, "helpful": helpful}
             for i, helpful in enumerate([True, False, False])]
    with store.engine.begin() as connection:
        insert_new(connection, turns, rows, "turn_key")
        insert_new(connection, feedback, marks, "turn_key")
    store.close()
    session, _ = logged_in(console)
    dashboard = session.get(f"{console.url}dashboard", timeout=10)
    assert dashboard.status_code == 200
    today = date.fromtimestamp(now).isoformat()
    zh_row = re.search(rf"<tr><td>{today}</td><td>zh</td>(.*?)</tr>", dashboard.text)
    assert zh_row
    counts = re.findall(r"<td>(\d+)</td>", zh_row.group(1))
    assert counts[:2] == ["3", "1"] and counts[-2:] == ["1", "2"]  # answered, hedged ... helpful, not helpful
    assert dashboard.text.count("<svg") == 4 and "Messages in Chinese" in dashboard.text
    assert "Answers in Chinese marked helpful or not" in dashboard.text
    assert "<script" not in dashboard.text
    assert requests.get(f"{console.url}dashboard", timeout=10, allow_redirects=False).status_code == 303


def test_malformed_requests_get_a_clear_refusal(console: Console) -> None:
    session, _ = logged_in(console)
    # A CSRF token with other than ASCII in it is wrong, not a crash.
    assert session.post(f"{console.url}groups/g1/dismiss", data={"csrf": "é", "questions": "1,2"},
                        timeout=10).status_code == 403
    address = urlsplit(console.url)
    with socket.create_connection((str(address.hostname), int(address.port or 80)), timeout=10) as raw:
        raw.sendall(b"POST /staff/login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
        assert raw.recv(200).startswith(b"HTTP/1.0 400")


def test_a_new_password_ends_the_accounts_logins(console: Console) -> None:
    session, _ = logged_in(console)
    assert session.get(console.url, timeout=10, allow_redirects=False).status_code == 200
    store = ReviewStore(f"sqlite:///{console.folder / 'conversations.db'}")
    add_account(store, "alice", "another long password", "test")
    store.close()
    assert session.get(console.url, timeout=10, allow_redirects=False).status_code == 303


def test_a_training_is_refused_while_another_runs_and_the_page_says_so(console: Console) -> None:
    # A training recorded as running on this machine, by a process that runs (this one).
    store = ReviewStore(f"sqlite:///{console.folder / 'conversations.db'}")
    runs = Trainings(store)
    runs.finish(runs.begin("carol"), FAILED, "Rasa's training failed: YamlSyntaxException in data/nlu/x.yml", [])
    runs.attach(runs.begin("bob"), os.getpid())
    store.close()
    session, _ = logged_in(console)
    page = session.get(f"{console.url}train", timeout=10)
    assert page.status_code == 200 and "A training is running" in page.text and "by bob" in page.text
    assert '<meta http-equiv="refresh"' in page.text and "Train now" not in page.text
    assert "Failed" in page.text and "YamlSyntaxException in data/nlu/x.yml" in page.text  # the one before
    refused = session.post(f"{console.url}train", data={"csrf": csrf_of(page.text)}, timeout=10)
    assert refused.status_code == 400 and "a training is already running" in refused.text
    with console.database() as database:
        assert database.execute("SELECT COUNT(*) FROM training_runs").fetchone() == (2,)


def test_live_chats_and_tickets_over_http(console: Console, kb: KnowledgeBase) -> None:
    """What web/staff/live.js does: become available, see the queue, take, reply, hand back;
    and a ticket answered with the tickets page's form."""
    settings = load_settings({"BOT_TRACKER_DB_URL": f"sqlite:///{console.folder / 'conversations.db'}"})
    desk = Desk(HandoffStore(ReviewStore(settings.tracker_db_url)), settings, lambda: kb)
    alice, _ = logged_in(console)
    csrf = csrf_of(alice.get(f"{console.url}live", timeout=10).text)
    alice.post(f"{console.url}live/available", data={"csrf": csrf, "available": "yes"}, timeout=10)
    state = alice.get(f"{console.url}live/state", timeout=10).json()
    assert state["available"] is True and state["present"] == ["alice"] and state["waiting"] == []
    desk.request(Request("web-user", "socketio", "web-user", "zh", [Line(1.0, USER, "二建要注册吗")]))
    [waiting] = alice.get(f"{console.url}live/state", timeout=10).json()["waiting"]
    assert (waiting["channel"], waiting["language"], waiting["lines"][0]["text"]) == ("socketio", "zh", "二建要注册吗")
    take = alice.post(f"{console.url}live/{waiting['id']}/take", data={"csrf": csrf}, timeout=10)
    assert take.json() == {"ok": True}
    again = alice.post(f"{console.url}live/{waiting['id']}/take", data={"csrf": csrf}, timeout=10)
    assert again.status_code == 409 and "taken by alice" in again.json()["error"]
    alice.post(f"{console.url}live/{waiting['id']}/reply", data={"csrf": csrf, "text": "需要注册后才能执业。"},
               timeout=10)
    [mine] = alice.get(f"{console.url}live/state", timeout=10).json()["mine"]
    last = mine["lines"][-1]
    assert (last["author"], last["staff"], last["text"]) == ("staff", "alice", "需要注册后才能执业。")
    alice.post(f"{console.url}live/{waiting['id']}/hand_back", data={"csrf": csrf}, timeout=10)
    assert alice.get(f"{console.url}live/state", timeout=10).json()["mine"] == []

    handoff = desk.store.start("tg-1", "telegram", "tg-1", "en", OFFERED, [])
    ticket_id = desk.store.create_ticket(handoff, "Can I renew an expired certificate?", "alice@example.com")
    tickets = alice.get(f"{console.url}tickets", timeout=10)
    assert "Can I renew an expired certificate?" in tickets.text and "alice@example.com" in tickets.text
    answered = alice.post(f"{console.url}tickets/{ticket_id}/answer", data={"csrf": csrf, "answer": "Yes."},
                          timeout=10)
    assert answered.status_code == 200 and "not delivered yet" in answered.text
    assert desk.store.ticket(ticket_id).answered_by == "alice"
    twice = alice.post(f"{console.url}tickets/{ticket_id}/answer", data={"csrf": csrf, "answer": "Again."},
                       timeout=10)
    assert twice.status_code == 400 and "answered already" in twice.text
    with console.database() as database:
        assert [row[0] for row in database.execute("SELECT action FROM staff_audit WHERE actor = 'alice' "
                                                   "ORDER BY id")][1:] == [
            "available", "handoff_taken", "handoff_handed_back", "ticket_answered"]
    alice.post(f"{console.url}logout", data={"csrf": csrf}, timeout=10)
    assert desk.store.available_staff() == []  # logging out ends availability
