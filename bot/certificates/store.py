"""The embedded certificate store: SQLite, managed with sqlite-utils."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.certificates.migrations import migrate
from bot.certificates.model import Certificate, normalize_name
from bot.errors import CertificateNotFound, LookupUnavailable

# Columns that carry a certificate's data; `updated_at` only records when it last changed.
DATA_COLUMNS = (
    "certificate_number", "holder_name", "holder_name_key", "certificate_type", "catalog_entry", "level",
    "issuer", "issued_on", "valid_until", "status",
)
# How long a lookup waits for a writer's lock before giving up (well under the 5 s promise).
BUSY_TIMEOUT_SECONDS = 2.0
_UPSERT_CHUNK = 500


def open_database(path: Path) -> sqlite_utils.Database:
    """Opens the database for writing, creating it and applying pending migrations."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA journal_mode=WAL")  # readers are not blocked while an import writes
    migrate(db)
    return db


def _row_to_certificate(row: sqlite3.Row) -> Certificate:
    return Certificate(
        number=row["certificate_number"],
        holder_name=row["holder_name"],
        certificate_type=row["certificate_type"],
        catalog_entry=row["catalog_entry"],
        level=row["level"] or "",
        issuer=row["issuer"],
        issued_on=date.fromisoformat(row["issued_on"]),
        valid_until=date.fromisoformat(row["valid_until"]) if row["valid_until"] else None,
        status=row["status"],
    )


class SqliteCertificateStore:
    """Looks certificates up in the SQLite database, read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lookup(self, number: str, holder_name: str) -> Certificate:
        """The certificate with this normalized number, if the holder's name matches too.

        Raises:
            CertificateNotFound: no such number, or the name does not match (the same error).
            LookupUnavailable: the database is missing, locked, corrupt or not migrated.
        """
        if not self.path.exists():
            raise LookupUnavailable(f"certificate database not found at {self.path}")
        try:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
        except sqlite3.Error as error:
            raise LookupUnavailable(f"cannot open the certificate database: {error}") from error
        try:
            connection.row_factory = sqlite3.Row
            row = connection.execute(
                "SELECT * FROM certificates WHERE certificate_number = ?", (number,)
            ).fetchone()
        except sqlite3.Error as error:  # locked, corrupt ("file is not a database"), no table
            raise LookupUnavailable(f"certificate database error: {error}") from error
        finally:
            connection.close()
        if row is None or row["holder_name_key"] != normalize_name(holder_name):
            raise CertificateNotFound("no certificate matches that number and name")
        return _row_to_certificate(row)


def upsert_certificates(db: sqlite_utils.Database, records: Iterable[dict[str, Any]]) -> tuple[int, int, int]:
    """Inserts new certificates and updates changed ones, in one transaction.

    Records carry DATA_COLUMNS. Returns (inserted, updated, unchanged).
    """
    inserted = updated = unchanged = 0
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    records = list(records)
    columns = ", ".join(DATA_COLUMNS)
    placeholders = ", ".join("?" for _ in DATA_COLUMNS)
    assignments = ", ".join(f"{column} = excluded.{column}" for column in DATA_COLUMNS[1:])
    upsert = (
        f"INSERT INTO certificates ({columns}, updated_at) VALUES ({placeholders}, ?) "
        f"ON CONFLICT(certificate_number) DO UPDATE SET {assignments}, updated_at = excluded.updated_at"
    )
    with db.conn:
        for start in range(0, len(records), _UPSERT_CHUNK):
            chunk = records[start : start + _UPSERT_CHUNK]
            numbers = [record["certificate_number"] for record in chunk]
            existing = {
                row[0]: tuple(row[1:])
                for row in db.execute(
                    f"SELECT {columns} FROM certificates WHERE certificate_number IN "
                    f"({', '.join('?' for _ in numbers)})",
                    numbers,
                ).fetchall()
            }
            changed = []
            for record in chunk:
                values = tuple(record[column] for column in DATA_COLUMNS)
                before = existing.get(record["certificate_number"])
                if before is None:
                    inserted += 1
                elif before == values[1:]:
                    unchanged += 1
                    continue
                else:
                    updated += 1
                changed.append((*values, now))
            db.conn.executemany(upsert, changed)
    return inserted, updated, unchanged


def count_certificates(db: sqlite_utils.Database) -> int:
    return db["certificates"].count


class SqliteCertificateDatabase:
    """The SQLite certificate database for writing (BOT_DATABASE): what imports and the demo
    data go into, like PostgresCertificateDatabase."""

    def __init__(self, path: Path) -> None:
        self.location = str(path)
        self.db = open_database(path)

    def upsert(self, records: Iterable[dict[str, Any]]) -> tuple[int, int, int]:
        return upsert_certificates(self.db, records)

    def count(self) -> int:
        return count_certificates(self.db)

    def close(self) -> None:
        self.db.close()
