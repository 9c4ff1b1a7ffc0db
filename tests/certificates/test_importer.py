"""Importing issuers' files: validation of every row, rejects, idempotence, scale."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.certificates.importer import FIELDS, import_file, write_rejects
from bot.certificates.lookup import CertificateDatabase, CertificateStore
from bot.certificates.postgres_store import PostgresCertificateDatabase, PostgresCertificateStore
from bot.certificates.store import SqliteCertificateDatabase, SqliteCertificateStore
from bot.errors import ImportFileError, LookupUnavailable
from bot.settings import PROJECT_ROOT

TODAY = date(2026, 11, 22)
HEADER = ",".join(FIELDS)
GOOD = [
    "SPM-2022-004417,Li Xiaoming,Safety production manager qualification certificate,,Work Safety Bureau,"
    "2022-03-01,2027-03-01,valid",
    "tg-2019-000101 ,王小明,Tour guide qualification,Senior,Tourism Authority,2019-05-20,,valid",
]


def link(text: str) -> str | None:
    return "tour_guide" if "tour guide" in text.lower() else None


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CertificateDatabase]:
    """Each test runs against both databases: the same validation, rejects and idempotence."""
    database: CertificateDatabase
    if request.param == "sqlite":
        database = SqliteCertificateDatabase(tmp_path / "certificates.db")
    else:
        database = PostgresCertificateDatabase(request.getfixturevalue("postgres_database"))
    yield database
    database.close()


def store_of(database: CertificateDatabase) -> CertificateStore:
    if isinstance(database, PostgresCertificateDatabase):
        return PostgresCertificateStore(database.url)
    return SqliteCertificateStore(Path(database.location))


def test_good_file_is_imported_with_normalized_numbers(db: CertificateDatabase, tmp_path: Path) -> None:
    summary = import_file(db, write_csv(tmp_path / "in.csv", *GOOD), link, TODAY)
    assert (summary.inserted, summary.updated, summary.unchanged, summary.rejected) == (2, 0, 0, [])
    certificate = store_of(db).lookup("TG-2019-000101", "王小明")
    assert (certificate.holder_name, certificate.valid_until, certificate.catalog_entry, certificate.level) == (
        "王小明", None, "tour_guide", "Senior")


def test_reimport_is_idempotent_and_changes_are_updates(db: CertificateDatabase, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", *GOOD)
    import_file(db, path, link, TODAY)
    again = import_file(db, path, link, TODAY)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    changed = write_csv(tmp_path / "changed.csv", GOOD[0].replace(",valid", ",suspended"), GOOD[1])
    third = import_file(db, changed, link, TODAY)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 1)
    assert store_of(db).lookup("SPM-2022-004417", "Li Xiaoming").status == "suspended"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("AB,Li,Type,,Issuer,2020-01-01,,valid", "certificate_number 'AB' is not 6 to 32 letters"),
        ("ABC_123456,Li,Type,,Issuer,2020-01-01,,valid", "is not 6 to 32 letters, digits and hyphens"),
        ("ABC-123456,,Type,,Issuer,2020-01-01,,valid", "missing holder_name"),
        ("ABC-123456,Li,Type,,Issuer,2020/01/01,,valid", "issued_on '2020/01/01' is not a date in the form YYYY-MM-DD"),
        ("ABC-123456,Li,Type,,Issuer,2020-02-30,,valid", "issued_on '2020-02-30' is not a real date"),
        ("ABC-123456,Li,Type,,Issuer,2030-01-01,,valid", "issued_on 2030-01-01 is in the future"),
        ("ABC-123456,Li,Type,,Issuer,2020-01-01,2019-01-01,valid", "valid_until 2019-01-01 is before issued_on"),
        ("ABC-123456,Li,Type,,Issuer,2020-01-01,,expired", "status 'expired' is not one of: valid, suspended, revoked"),
        ("ABC-123456,Li 110101199003077777,Type,,Issuer,2020-01-01,,valid", "holder_name contains digits"),
    ],
)
def test_each_kind_of_bad_row_is_rejected_with_line_and_reason(db: CertificateDatabase, tmp_path: Path,
                                                                line: str, reason: str) -> None:
    summary = import_file(db, write_csv(tmp_path / "in.csv", GOOD[0], line), link, TODAY)
    assert summary.inserted == 1
    [rejected] = summary.rejected
    assert rejected.line == 3 and reason in rejected.reason
    assert rejected.row["certificate_number"] == line.split(",")[0]


def test_duplicates_inside_the_file_are_rejected(db: CertificateDatabase, tmp_path: Path) -> None:
    duplicate = GOOD[0].replace("SPM-2022-004417", "spm-2022-004417")
    summary = import_file(db, write_csv(tmp_path / "in.csv", GOOD[0], GOOD[1], duplicate), link, TODAY)
    [rejected] = summary.rejected
    assert (rejected.line, rejected.reason) == (4, "duplicate certificate_number SPM-2022-004417 (first on line 2)")


def test_bad_header_is_a_clear_error(db: CertificateDatabase, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("certificate_no,holder_name,national_id\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"line 1 \(header\): missing column\(s\): certificate_number.*"
                                              r"unknown column\(s\): certificate_no, national_id"):
        import_file(db, path, link, TODAY)


def test_json_lines_with_bad_lines(db: CertificateDatabase, tmp_path: Path) -> None:
    good = dict(zip(FIELDS, GOOD[1].split(","), strict=True))
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n{broken\n[1, 2]\n"
                    + json.dumps({**good, "certificate_number": "X-000001", "id_card": "1"}) + "\n", encoding="utf-8")
    summary = import_file(db, path, link, TODAY)
    assert summary.inserted == 1
    assert [(r.line, r.reason.split(":")[0]) for r in summary.rejected] == [
        (2, "not valid JSON"), (3, "each line must be a JSON object with the certificate's fields"),
        (4, "unknown field(s)"),
    ]


def test_unknown_file_type(db: CertificateDatabase, tmp_path: Path) -> None:
    (tmp_path / "in.xlsx").write_bytes(b"")
    with pytest.raises(ImportFileError, match="use .csv or .jsonl"):
        import_file(db, tmp_path / "in.xlsx", link, TODAY)


def test_rejects_file_keeps_the_rows(tmp_path: Path, db: CertificateDatabase) -> None:
    summary = import_file(db, write_csv(tmp_path / "in.csv", "AB,Li,T,,I,2020-01-01,,valid"), link, TODAY)
    write_rejects(summary.rejected, tmp_path / "rejects.csv")
    [row] = list(csv.DictReader((tmp_path / "rejects.csv").open(encoding="utf-8")))
    assert (row["line"], row["certificate_number"], row["holder_name"]) == ("2", "AB", "Li")


def test_a_hundred_thousand_rows(db: CertificateDatabase, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        for index in range(100_000):
            handle.write(f"BIG-{index:08d},Holder Name,Electrician level certificate,Level 2,Bureau,"
                         f"2020-01-01,2030-01-01,valid\n")
    summary = import_file(db, path, link, TODAY)
    assert (summary.inserted, len(summary.rejected)) == (100_000, 0)
    assert store_of(db).lookup("BIG-00099999", "holder name").certificate_type == "Electrician level certificate"
    assert db.count() == 100_000
    assert import_file(db, path, link, TODAY).unchanged == 100_000


def test_cli_import_reports_rejects_and_summary(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", *GOOD, "AB,Li,T,,I,2020-01-01,,valid")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "import", str(path)], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={"BOT_DATABASE": str(tmp_path / "cli.db"), "PATH": "/usr/bin:/bin"}, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"{path}, line 4: certificate_number 'AB'" in result.stderr
    assert (tmp_path / "in.rejected.csv").exists()
    assert result.stdout.startswith("2 inserted, 0 updated, 0 unchanged, 1 rejected; 2 certificates in")


def test_cli_import_demo_and_status_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    """The operators' commands work the same on PostgreSQL, which the settings select."""
    env = {"BOT_LOOKUP_BACKEND": "postgresql", "BOT_CERTIFICATES_DB_URL": postgres_database, "PATH": "/usr/bin:/bin",
           "BOT_LIMITS_URL": f"sqlite:///{tmp_path / 'limits.db'}"}

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "db", *arguments], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, env=env, check=False)

    imported = run("import", str(write_csv(tmp_path / "in.csv", *GOOD, "AB,Li,T,,I,2020-01-01,,valid")))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("2 inserted, 0 updated, 0 unchanged, 1 rejected; 2 certificates in postgresql://")
    assert run("import", str(tmp_path / "in.csv")).stdout.startswith("0 inserted, 0 updated, 2 unchanged")
    assert "already holds certificates" in run("demo", "--if-empty").stdout
    status = run("status", "tg-2019-000101", "--name", "王小明")
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("This certificate is valid. Holder: 王**. Certificate: Tour guide qualification")


def test_unreachable_postgresql_makes_lookups_unavailable_without_the_password() -> None:
    store = PostgresCertificateStore("postgresql://assistant:secret-password@127.0.0.1:1/certificates")
    with pytest.raises(LookupUnavailable, match=r"postgresql://assistant:\*\*\*@127.0.0.1:1/certificates") as raised:
        store.lookup("SPM-2022-004417", "Li Xiaoming")
    assert "secret-password" not in str(raised.value)
