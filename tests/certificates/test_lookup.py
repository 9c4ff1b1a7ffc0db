"""The lookup rules: replies by state, masking, lock-out and its cool-down, faults."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.certificates.demo import demo_records
from bot.certificates.lookup import CertificateLookup, render
from bot.certificates.store import SqliteCertificateStore, open_database, upsert_certificates
from bot.knowledge import KnowledgeBase
from bot.settings import Settings

TODAY = date(2026, 11, 22)
NOW = 1_000_000.0


@pytest.fixture
def lookup(tmp_path: Path, kb: KnowledgeBase, settings: Settings) -> CertificateLookup:
    path = tmp_path / "certificates.db"
    upsert_certificates(open_database(path), demo_records(10, seed=1, today=TODAY))
    settings = replace(settings, lookup_max_failures=3, lookup_cooldown_minutes=10, expiry_warning_days=90)
    return CertificateLookup(kb, settings, SqliteCertificateStore(path))


def test_valid_long_term(lookup: CertificateLookup) -> None:
    outcome = lookup.check("DEMO-VALID-0001", "Wang Xiaoming", 0, None, NOW, TODAY, "en")
    assert outcome.reply == "valid"
    assert outcome.values["holder"] == "W*** X*******"
    assert outcome.values["valid_until"] == "long-term (no expiry date)"


def test_expiring_and_expired_carry_dates(lookup: CertificateLookup, kb: KnowledgeBase) -> None:
    expiring = lookup.check("DEMO-EXPIRING-0001", "Li Xiaohong", 0, None, NOW, TODAY, "en")
    assert (expiring.reply, expiring.values["valid_until"]) == ("expiring", "2026-12-22")
    expired = lookup.check("DEMO-EXPIRED-0001", "Zhang Wei", 0, None, NOW, TODAY, "en")
    assert (expired.reply, expired.values["expired_days"]) == ("expired", "100")
    text = render(kb, expired, "en")
    assert "100 days ago" in text and kb.faq_entry("expiry_and_renewal").answer["en"] in text


def test_three_failures_lock_and_the_cooldown_ends(lookup: CertificateLookup) -> None:
    failures, locked_until = 0, None
    for _ in range(3):
        outcome = lookup.check("DEMO-NONE-0001", "Wang Xiaoming", failures, locked_until, NOW, TODAY, "en")
        assert outcome.reply == "not_found"
        failures, locked_until = outcome.failures, outcome.locked_until
    assert (failures, locked_until) == (3, NOW + 600)
    refused = lookup.check("DEMO-VALID-0001", "Wang Xiaoming", failures, locked_until, NOW + 599, TODAY, "en")
    assert (refused.reply, refused.values) == ("locked_out", {"max_failures": "3", "cooldown_minutes": "10"})
    after = lookup.check("DEMO-VALID-0001", "Wang Xiaoming", failures, locked_until, NOW + 601, TODAY, "en")
    assert (after.reply, after.failures, after.locked_until) == ("valid", 0, None)


def test_missing_database_is_unavailable_and_not_a_failure(kb: KnowledgeBase, settings: Settings,
                                                           tmp_path: Path) -> None:
    lookup = CertificateLookup(kb, settings, SqliteCertificateStore(tmp_path / "absent.db"))
    outcome = lookup.check("DEMO-VALID-0001", "Wang Xiaoming", 1, None, NOW, TODAY, "en")
    assert (outcome.reply, outcome.failures) == ("unavailable", 1)
