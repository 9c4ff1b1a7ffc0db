"""Imports issuers' certificate data from CSV or JSON Lines into the store.

Every row is validated; rejected rows are reported with their line and reason and written
to a reject file, so nothing is lost. Valid rows are upserted in one transaction, so a
re-run of the same file changes nothing.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.certificates.lookup import CertificateDatabase
from bot.certificates.model import (
    NUMBER_FORMAT,
    STATUSES,
    clean_holder_name,
    holder_name_problem,
    is_valid_number,
    normalize_name,
    normalize_number,
)
from bot.errors import ImportFileError

FIELDS = ("certificate_number", "holder_name", "certificate_type", "level", "issuer", "issued_on", "valid_until",
          "status")
REQUIRED = ("certificate_number", "holder_name", "certificate_type", "issuer", "issued_on", "status")
_FIELD_SET = frozenset(FIELDS)
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TEXT_LENGTH = 200

# Finds the catalog entry a certificate type names, or None (e.g. MentionFinder.from_text).
CatalogLinker = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    row: dict[str, Any]


@dataclass
class ImportSummary:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.rejected)} rejected")


def _csv_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [name for name in REQUIRED if name not in header]
        unknown = [name for name in header if name not in FIELDS]
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"missing column(s): {', '.join(missing)}")
            if unknown:
                problems.append(f"unknown column(s): {', '.join(unknown)}")
            raise ImportFileError(f"{path}, line 1 (header): {'; '.join(problems)}. Expected: {', '.join(FIELDS)}")
        line = 1
        for row in reader:
            line += 1  # the line the row starts on (quoted fields may span lines)
            yield line, row
            line = reader.line_num


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                yield line, json.loads(text)
            except json.JSONDecodeError as error:
                yield line, f"not valid JSON: {error.msg} at column {error.colno}"


def read_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line, row) pairs; a row is a dict, or a string saying why the line is unreadable."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(path)
    raise ImportFileError(f"{path}: unknown file type {suffix!r}; use .csv or .jsonl (JSON Lines)")


def _date(row: dict[str, str], name: str) -> date:
    value = row[name]
    if not DATE_PATTERN.match(value):
        raise ValueError(f"{name} {value!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a real date") from None


def validate_row(raw: Any, link: CatalogLinker, today: date) -> dict[str, Any]:
    """A store record from one input row; raises ValueError saying what is wrong."""
    if isinstance(raw, str):
        raise ValueError(raw)
    if not isinstance(raw, dict):
        raise ValueError("each line must be a JSON object with the certificate's fields")
    if not _FIELD_SET.issuperset(raw):
        raise ValueError(f"unknown field(s): {', '.join(sorted(set(raw) - _FIELD_SET))}")
    row = {name: "" if (value := raw.get(name)) is None else str(value).strip() for name in FIELDS}
    missing = [name for name in REQUIRED if not row[name]]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    too_long = [name for name in FIELDS if len(row[name]) > MAX_TEXT_LENGTH]
    if too_long:
        raise ValueError(f"{', '.join(too_long)} longer than {MAX_TEXT_LENGTH} characters")
    number = normalize_number(row["certificate_number"])
    if not is_valid_number(number):
        raise ValueError(f"certificate_number {row['certificate_number']!r} is not {NUMBER_FORMAT}")
    holder_name = clean_holder_name(row["holder_name"])
    name_problem = holder_name_problem(holder_name)
    if name_problem:
        raise ValueError(name_problem)
    status = row["status"].lower()
    if status not in STATUSES:
        raise ValueError(f"status {row['status']!r} is not one of: {', '.join(STATUSES)}")
    issued_on = _date(row, "issued_on")
    if issued_on > today:
        raise ValueError(f"issued_on {row['issued_on']} is in the future")
    valid_until = _date(row, "valid_until") if row["valid_until"] else None
    if valid_until is not None and valid_until < issued_on:
        raise ValueError(f"valid_until {row['valid_until']} is before issued_on {row['issued_on']}")
    return {
        "certificate_number": number,
        "holder_name": holder_name,
        "holder_name_key": normalize_name(row["holder_name"]),
        "certificate_type": row["certificate_type"],
        "catalog_entry": link(row["certificate_type"]),
        "level": row["level"] or None,
        "issuer": row["issuer"],
        "issued_on": issued_on.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "status": status,
    }


def write_rejects(rejected: list[Rejected], path: Path) -> None:
    """Writes rejected rows as CSV: line, reason and the row's own fields, as they came."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("line", "reason", *FIELDS))
        for item in rejected:
            writer.writerow((item.line, item.reason, *(item.row.get(name, "") for name in FIELDS)))


def import_file(
    database: CertificateDatabase,
    path: Path,
    link: CatalogLinker,
    today: date,
    progress: Callable[[int], None] = lambda lines: None,
) -> ImportSummary:
    """Validates every row of `path` and upserts the valid ones in one transaction. Rows
    are validated as the store takes them in, so PostgreSQL works on one part of the file
    while the next is validated; an error in the file leaves the store as it was."""
    summary = ImportSummary()
    # A file names few certificate types, and matching one to the catalog is not cheap.
    link = functools.lru_cache(maxsize=4096)(link)

    def valid_records() -> Iterator[dict[str, Any]]:
        first_line: dict[str, int] = {}
        last_line = 0
        for line, raw in read_rows(path):
            progress(line - last_line)
            last_line = line
            try:
                record = validate_row(raw, link, today)
            except ValueError as error:
                summary.rejected.append(Rejected(line, str(error), raw if isinstance(raw, dict) else {}))
                continue
            number = record["certificate_number"]
            if number in first_line:
                reason = f"duplicate certificate_number {number} (first on line {first_line[number]})"
                summary.rejected.append(Rejected(line, reason, raw))
                continue
            first_line[number] = line
            yield record

    summary.inserted, summary.updated, summary.unchanged = database.upsert(valid_records())
    return summary
