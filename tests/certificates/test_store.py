"""The store: migrations, lookups by number and name, derived states, and faults."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
import sqlite_utils

from bot.certificates.demo import demo_records
from bot.certificates.migrations import MIGRATIONS, migrate
from bot.certificates.model import Certificate, State, mask_name, normalize_number
from bot.certificates.store import SqliteCertificateStore, open_database, upsert_certificates
from bot.errors import CertificateNotFound, LookupUnavailable

TODAY = date(2026, 11, 22)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "certificates.db"
    upsert_certificates(open_database(path), demo_records(50, seed=3, today=TODAY))
    return path


def test_migrations_are_recorded_and_applied_once() -> None:
    db = sqlite_utils.Database(memory=True)
    assert migrate(db) == [number for number, _, _ in MIGRATIONS]
    assert migrate(db) == []
    assert [row["number"] for row in db["_migrations"].rows] == [number for number, _, _ in MIGRATIONS]
    assert "certificate_number" in db["certificates"].columns_dict


def test_lookup_needs_number_and_name(database: Path) -> None:
    store = SqliteCertificateStore(database)
    found = store.lookup("DEMO-VALID-0001", "  wang   XIAOMING ")
    assert found.holder_name == "Wang Xiaoming" and found.valid_until is None
    with pytest.raises(CertificateNotFound) as wrong_name:
        store.lookup("DEMO-VALID-0001", "Li Xiaohong")
    with pytest.raises(CertificateNotFound) as unknown_number:
        store.lookup("DEMO-NOPE-0001", "Wang Xiaoming")
    assert str(wrong_name.value) == str(unknown_number.value)


def test_chinese_names_match(database: Path) -> None:
    assert SqliteCertificateStore(database).lookup("DEMO-ZH-0001", "王小明").holder_name == "王小明"


def test_numbers_ignore_case_and_spaces() -> None:
    assert normalize_number(" spm-2022-004417 ") == "SPM-2022-004417"


@pytest.mark.parametrize(
    ("valid_until", "status", "state"),
    [
        (None, "valid", State.VALID),
        (date(2027, 6, 1), "valid", State.VALID),
        (date(2027, 2, 20), "valid", State.EXPIRING),  # 90 days ahead
        (date(2026, 11, 22), "valid", State.EXPIRING),  # last valid day
        (date(2026, 11, 21), "valid", State.EXPIRED),
        (date(2027, 6, 1), "suspended", State.SUSPENDED),
        (date(2020, 1, 1), "revoked", State.REVOKED),
    ],
)
def test_state_is_derived_from_status_and_dates(valid_until: date | None, status: str, state: State) -> None:
    certificate = Certificate("X-000001", "A", "t", None, "", "i", date(2020, 1, 1), valid_until, status)
    assert certificate.state(TODAY, warning_days=90) is state


def test_names_are_masked() -> None:
    assert mask_name("Li Xiaoming") == "L* X*******"
    assert mask_name("王小明") == "王**"


def test_missing_database_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(LookupUnavailable, match="not found"):
        SqliteCertificateStore(tmp_path / "absent.db").lookup("DEMO-VALID-0001", "x")
    assert not (tmp_path / "absent.db").exists()


def test_corrupt_database_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LookupUnavailable, match="database error"):
        SqliteCertificateStore(path).lookup("DEMO-VALID-0001", "x")


def test_locked_database_is_unavailable_within_the_timeout(database: Path) -> None:
    writer = sqlite3.connect(database)
    writer.execute("PRAGMA journal_mode=DELETE")
    writer.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(LookupUnavailable, match="locked"):
            SqliteCertificateStore(database).lookup("DEMO-VALID-0001", "Wang Xiaoming")
    finally:
        writer.rollback()
        writer.close()


def test_demo_is_deterministic_and_covers_every_state() -> None:
    records = demo_records(300, seed=7, today=TODAY)
    assert records == demo_records(300, seed=7, today=TODAY)
    assert records != demo_records(300, seed=8, today=TODAY)
    assert all(record["certificate_number"].startswith("DEMO-") for record in records)
    states = {
        Certificate(r["certificate_number"], r["holder_name"], r["certificate_type"], r["catalog_entry"], "",
                    r["issuer"], date.fromisoformat(r["issued_on"]),
                    date.fromisoformat(r["valid_until"]) if r["valid_until"] else None, r["status"]
                    ).state(TODAY, 90)
        for r in records
    }
    assert states == set(State)
