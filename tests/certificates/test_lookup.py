"""The lookup rules: replies by state, masking, the limits per number and per client, faults."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.certificates.demo import demo_records
from bot.certificates.lookup import CertificateLookup, CertificateStore, render
from bot.certificates.store import SqliteCertificateStore, open_database, upsert_certificates
from bot.knowledge.model import KnowledgeBase
from bot.protection.counter_store import open_limit_storage
from bot.protection.lookup_guard import LookupGuard
from bot.settings import Settings

TODAY = date(2026, 11, 22)
CLIENT = "client-a"


def make_lookup(kb: KnowledgeBase, settings: Settings, store: CertificateStore, tmp_path: Path) -> CertificateLookup:
    settings = replace(settings, lookup_max_failures=3, lookup_failure_window_hours=24,
                       lookups_per_client_per_hour=5, expiry_warning_days=90)
    guard = LookupGuard(settings, open_limit_storage(f"sqlite:///{tmp_path / 'limits.db'}"))
    return CertificateLookup(kb, settings, store, guard)


@pytest.fixture
def lookup(tmp_path: Path, kb: KnowledgeBase, settings: Settings) -> CertificateLookup:
    path = tmp_path / "certificates.db"
    upsert_certificates(open_database(path), demo_records(10, seed=1, today=TODAY))
    return make_lookup(kb, settings, SqliteCertificateStore(path), tmp_path)


def test_valid_long_term(lookup: CertificateLookup) -> None:
    outcome = lookup.check("DEMO-VALID-0001", "Wang Xiaoming", CLIENT, TODAY, "en")
    assert outcome.reply == "valid"
    assert outcome.values["holder"] == "W*** X*******"
    assert outcome.values["valid_until"] == "long-term (no expiry date)"


def test_expiring_and_expired_carry_dates(lookup: CertificateLookup, kb: KnowledgeBase) -> None:
    expiring = lookup.check("DEMO-EXPIRING-0001", "Li Xiaohong", CLIENT, TODAY, "en")
    assert (expiring.reply, expiring.values["valid_until"]) == ("expiring", "2026-12-22")
    expired = lookup.check("DEMO-EXPIRED-0001", "Zhang Wei", CLIENT, TODAY, "en")
    assert (expired.reply, expired.values["expired_days"]) == ("expired", "100")
    text = render(kb, expired, "en")
    assert "100 days ago" in text and kb.faq_entry("expiry_and_renewal").answer["en"] in text


def test_three_failures_refuse_the_number_to_every_client(lookup: CertificateLookup) -> None:
    for attempt in range(3):  # a different client each time, as from new conversations
        assert lookup.check("DEMO-VALID-0001", "Wrong Name", f"guesser-{attempt}", TODAY, "en").reply == "not_found"
    refused = lookup.check("DEMO-VALID-0001", "Wang Xiaoming", "the-holder", TODAY, "en")
    assert (refused.reply, refused.values) == ("locked_out", {"max_failures": "3", "window_hours": "24"})
    # An unknown number is refused in the same words after as many failures.
    for attempt in range(3):
        lookup.check("DEMO-NONE-0001", "Wang Xiaoming", f"guesser-{attempt}", TODAY, "en")
    assert lookup.check("DEMO-NONE-0001", "Wang Xiaoming", "x", TODAY, "en") == refused
    # Other numbers are unaffected.
    assert lookup.check("DEMO-EXPIRED-0001", "Zhang Wei", "the-holder", TODAY, "en").reply == "expired"


def test_the_failure_window_passes(lookup: CertificateLookup, tmp_path: Path) -> None:
    for attempt in range(3):
        lookup.check("DEMO-VALID-0001", "Wrong Name", f"guesser-{attempt}", TODAY, "en")
    with sqlite3.connect(tmp_path / "limits.db") as connection:  # the window, moved into the past
        connection.execute("UPDATE counters SET expires_at = 0")
    assert lookup.check("DEMO-VALID-0001", "Wang Xiaoming", "the-holder", TODAY, "en").reply == "valid"


def test_a_client_has_a_number_of_lookups_an_hour(lookup: CertificateLookup) -> None:
    for _ in range(5):
        assert lookup.check("DEMO-EXPIRED-0001", "Zhang Wei", CLIENT, TODAY, "en").reply == "expired"
    assert lookup.refusal_before_asking(CLIENT) is not None
    refused = lookup.check("DEMO-EXPIRED-0001", "Zhang Wei", CLIENT, TODAY, "en")
    assert (refused.reply, refused.values) == ("client_limited", {"lookups_per_hour": "5"})
    assert lookup.refusal_before_asking("another-client") is None


def test_missing_database_is_unavailable_and_not_a_failure(kb: KnowledgeBase, settings: Settings,
                                                           tmp_path: Path) -> None:
    lookup = make_lookup(kb, settings, SqliteCertificateStore(tmp_path / "absent.db"), tmp_path)
    for _ in range(3):
        assert lookup.check("DEMO-VALID-0001", "Wang Xiaoming", CLIENT, TODAY, "en").reply == "unavailable"
    assert lookup.guard.number_may_be_looked_up("DEMO-VALID-0001")
