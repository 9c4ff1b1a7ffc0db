"""Certificate status lookups end to end: REST channel, real action server, real database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.certificates.lookup import CertificateLookup, render
from bot.certificates.model import number_from_message
from bot.certificates.store import SqliteCertificateStore
from bot.knowledge.model import KnowledgeBase
from bot.processes.stack import StackConfig
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import load_localized_responses
from tests.servers import demo_database, session_from, started_stack


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_database(tmp_path_factory)


@pytest.fixture(scope="module")
def stack(trained_model: Path, database: Path, tmp_path_factory: pytest.TempPathFactory,
          ) -> Iterator[tuple[StackConfig, Path]]:
    env = {"BOT_DATABASE": str(database), "BOT_LOOKUP_FAILURE_WINDOW_HOURS": "30"}
    with started_stack(trained_model, tmp_path_factory, env) as running:
        yield running


def say(config: StackConfig, sender: str, text: str, client: requests.Session | None = None) -> str:
    reply = (client or requests).post(config.rest_url, json={"sender": sender, "message": text}, timeout=30)
    reply.raise_for_status()
    messages: list[dict[str, Any]] = reply.json()
    assert messages, f"no reply to {text!r}"
    return "\n".join(message.get("text", "") for message in messages)


START = {"en": "is my certificate still valid?", "zh": "帮我看看证书还有效没"}


def lookup(config: StackConfig, number: str, name: str, sender: str | None = None, language: str = "en",
           client: requests.Session | None = None) -> str:
    sender = sender or f"test-{uuid.uuid4().hex}"
    asked = load_localized_responses()
    assert say(config, sender, START[language], client) == asked["utter_ask_certificate_number"][language]
    assert say(config, sender, number, client) == asked["utter_ask_holder_name"][language]
    return say(config, sender, name, client)


@pytest.mark.parametrize(
    ("number", "name", "state", "language"),
    [
        ("DEMO-VALID-0001", "Wang Xiaoming", "valid", "en"),
        (" demo-expiring-0001 ", "li xiaohong", "expiring", "en"),
        ("DEMO-EXPIRED-0001", "Zhang Wei", "expired", "en"),
        ("DEMO-SUSPENDED-0001", "Liu Fang", "suspended", "en"),
        ("DEMO-REVOKED-0001", "Chen Jing", "revoked", "en"),
        # An English conversation stays English when the holder's name is Chinese.
        ("DEMO-ZH-0001", "王小明", "valid", "en"),
        ("ＤＥＭＯ－ＺＨ－０００２", "刘洋", "expiring", "zh"),
        ("证书编号是DEMO-ZH-0003", "阿依古丽·买买提", "valid", "zh"),
        ("DEMO-ZH-0004", "陈静", "expired", "zh"),
        ("DEMO-SUSPENDED-0001", "Liu Fang", "suspended", "zh"),
        ("DEMO-REVOKED-0001", "Chen Jing", "revoked", "zh"),
    ],
)
def test_every_state_is_answered_as_the_status_command_shows_it(
    stack: tuple[StackConfig, Path], database: Path, kb: KnowledgeBase, settings: Settings, number: str, name: str,
    state: str, language: str,
) -> None:
    config, _ = stack
    reply = lookup(config, number, name, language=language)
    expected = CertificateLookup.without_limits(kb, settings, SqliteCertificateStore(database)).check(
        number_from_message(number), name, "someone", date.today(), language)
    assert expected.reply == state
    assert reply == render(kb, expected, language)
    assert name not in reply  # masked


@pytest.mark.parametrize("language", ["en", "zh"])
def test_unknown_number_and_wrong_name_get_the_same_words(stack: tuple[StackConfig, Path], language: str,
                                                           localized_responses: dict[str, dict[str, str]]) -> None:
    config, _ = stack
    unknown_number = lookup(config, "DEMO-NOPE-0001", "王小明", language=language)
    wrong_name = lookup(config, "DEMO-ZH-0001", "王晓明", language=language)
    assert unknown_number == wrong_name == localized_responses["utter_lookup_not_found"][language]


def test_malformed_number_is_asked_again_with_the_format(stack: tuple[StackConfig, Path],
                                                         responses: dict[str, str]) -> None:
    config, _ = stack
    sender = f"test-{uuid.uuid4().hex}"
    say(config, sender, "check a certificate")
    reply = say(config, sender, "my number is 12 34")
    assert reply.startswith(responses["utter_lookup_invalid_number"])
    assert "What is the certificate number?" in reply
    assert "holder's name" in say(config, sender, "DEMO-VALID-0001")


def test_guessing_names_from_new_conversations_and_addresses_reveals_nothing(
        stack: tuple[StackConfig, Path], responses: dict[str, str]) -> None:
    config, _ = stack
    for attempt, guess in enumerate(["Wang Wei", "Li Na", "Zhang Min"], start=2):
        assert lookup(config, "DEMO-00000012", guess, client=session_from(f"127.0.0.{attempt}")) == responses[
            "utter_lookup_not_found"]
    # The right name, from yet another conversation and address: refused, and the holder's
    # details stay hidden.
    refusal = lookup(config, "DEMO-00000012", "Wang Lei", client=session_from("127.0.0.9"))
    assert refusal == responses["utter_lookup_locked_out"].format(max_failures=3, window_hours=30)
    assert "W*** L**" not in refusal
    # Other numbers are unaffected.
    assert "Holder: C*** X*******." in lookup(config, "DEMO-00000014", "Chen Xiaoming",
                                              client=session_from("127.0.0.9"))


def test_cancel_and_switching_topic(stack: tuple[StackConfig, Path], responses: dict[str, str]) -> None:
    config, _ = stack
    sender = f"test-{uuid.uuid4().hex}"
    say(config, sender, "can you look up my cert")
    answer = say(config, sender, "how do I know if a certificate is fake?")
    assert answer.startswith(responses["utter_faq_answer__verify_authenticity"])
    assert answer.endswith("(Type \"cancel\" to stop.)")  # back to the lookup
    say(config, sender, "DEMO-VALID-0001")
    assert say(config, sender, "never mind") == responses["utter_lookup_cancelled"]


def test_chinese_cancel(stack: tuple[StackConfig, Path], localized_responses: dict[str, dict[str, str]]) -> None:
    config, _ = stack
    sender = f"test-{uuid.uuid4().hex}"
    assert say(config, sender, "我要验证证书") == localized_responses["utter_ask_certificate_number"]["zh"]
    assert say(config, sender, "算了") == localized_responses["utter_lookup_cancelled"]["zh"]


def test_names_and_numbers_stay_out_of_the_logs_and_leave_the_stored_conversations(
        stack: tuple[StackConfig, Path]) -> None:
    config, log_path = stack
    sender = f"test-{uuid.uuid4().hex}"
    lookup(config, "DEMO-REVOKED-0001", "Chen Jing", sender)
    logs = log_path.read_text(encoding="utf-8", errors="replace")
    assert "certificate lookup: revoked" in logs  # the action server's log is in there
    # The stack keeps its conversations beside its log (tests/servers.py).
    with sqlite3.connect(log_path.parent / "conversations.db") as database:
        stored = " ".join(row[0] for row in database.execute("SELECT data FROM events"))
        this_one = " ".join(row[0] for row in database.execute("SELECT data FROM events WHERE sender_id = ?",
                                                                (sender,)))
    assert "action_lookup_certificate" in this_one and "has been revoked" in this_one
    # Typed in finished lookups of this module, by the holder or by someone guessing.
    for secret in ("DEMO-REVOKED-0001", "Chen Jing", "Wang Xiaoming", "王小明", "王晓明", "DEMO-00000012", "Wang Lei",
                   "Zhang Min"):
        assert secret not in logs
        assert secret.lower() not in stored.lower()


def test_the_review_queue_gets_what_was_not_answered_and_nothing_typed_into_a_lookup(
        stack: tuple[StackConfig, Path]) -> None:
    config, log_path = stack
    sender = f"test-{uuid.uuid4().hex}"
    lookup(config, "DEMO-ZH-0004", "陈静", sender, language="zh")
    # After a lookup, what could not be answered is counted, its text not kept: it may name
    # the holder (a number in a message starts a lookup: masking is tested in test_review.py).
    say(config, sender, "陈静的月嫂证有用吗")
    say(config, sender, "一建证书有效期多久")  # answered: counted, not kept
    other = f"test-{uuid.uuid4().hex}"
    say(config, other, "月嫂证有用吗")
    database = log_path.parent / "conversations.db"
    with sqlite3.connect(database) as connection:
        kept = connection.execute("SELECT outcome, for_review, text FROM review_turns WHERE sender_id IN (?, ?) "
                                  "ORDER BY id", (sender, other)).fetchall()
        queue = " ".join(str(value) for row in connection.execute("SELECT * FROM review_turns") for value in row)
    assert kept == [("lookup", 0, None), ("lookup", 0, None), ("lookup", 0, None), ("unlisted", 0, None),
                    ("answered", 0, None), ("unlisted", 1, "月嫂证有用吗")]
    for secret in ("DEMO-ZH-0004", "陈静"):
        assert secret not in queue
    listed = subprocess.run([sys.executable, "-m", "bot", "review", "--json"], capture_output=True, text=True,
                            check=True, cwd=PROJECT_ROOT, timeout=120,
                            env={**os.environ, "BOT_TRACKER_DB_URL": f"sqlite:///{database}"})
    assert "月嫂证有用吗" in [wording for group in json.loads(listed.stdout)
                                                   for wording in group["wordings"]]


def test_prometheus_gets_the_counts_latencies_and_queue(stack: tuple[StackConfig, Path]) -> None:
    config, _ = stack
    sender = f"test-{uuid.uuid4().hex}"
    say(config, sender, "一建证书有效期多久")
    say(config, sender, "月嫂证有用吗")
    scraped = requests.get(f"http://{config.host}:{config.rasa_port}/webhooks/metrics", timeout=30)
    assert scraped.status_code == 200 and scraped.headers["Content-Type"].startswith("text/plain")
    figures = {family.name: family for family in text_string_to_metric_families(scraped.text)}
    messages = {(s.labels["language"], s.labels["outcome"]): s.value for s in figures["assistant_messages"].samples
                if s.name == "assistant_messages_total"}
    assert messages[("zh", "answered")] >= 1 and messages[("zh", "unlisted")] >= 1
    latencies = {s.labels.get("le"): s.value for s in figures["assistant_answer_seconds"].samples
                 if s.name == "assistant_answer_seconds_bucket"}
    assert latencies["+Inf"] >= 2 and latencies["10.0"] == latencies["+Inf"]
    assert figures["assistant_review_open_questions"].samples[0].value >= 1
    say(config, sender, "转人工")  # nobody available: offered to leave a message
    figures = {family.name: family for family in text_string_to_metric_families(
        requests.get(f"http://{config.host}:{config.rasa_port}/webhooks/metrics", timeout=30).text)}
    handed = {s.labels["status"]: s.value for s in figures["assistant_handoffs_open"].samples}
    assert handed["offered"] >= 1 and handed["waiting"] == 0
    assert figures["assistant_tickets_open"].samples[0].value == 0
    assert figures["assistant_staff_available"].samples[0].value == 0


def test_imported_certificates_are_answerable_at_once(stack: tuple[StackConfig, Path], database: Path,
                                                      tmp_path: Path) -> None:

    config, _ = stack
    csv_file = tmp_path / "new.csv"
    csv_file.write_text(
        "certificate_number,holder_name,certificate_type,level,issuer,issued_on,valid_until,status\n"
        "NEW-2025-000001,Zhou Min,Tour guide qualification,,Tourism Bureau,2025-01-10,,valid\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "bot", "db", "import", str(csv_file)], cwd=PROJECT_ROOT, check=True,
                   env={"BOT_DATABASE": str(database), "PATH": "/usr/bin:/bin"}, capture_output=True)
    assert lookup(config, "NEW-2025-000001", "Zhou Min").startswith("This certificate is valid. Holder: Z*** M**.")
