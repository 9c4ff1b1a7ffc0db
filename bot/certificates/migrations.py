"""The certificate database's schema, created and upgraded by numbered migrations.

Each migration runs once; the numbers of applied ones are recorded in `_migrations`.
Add a new function at the end of MIGRATIONS; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import sqlite_utils


def _create_certificates(db: sqlite_utils.Database) -> None:
    db["certificates"].create(  # type: ignore[union-attr]
        {
            "certificate_number": str,  # normalized: upper case, trimmed
            "holder_name": str,
            "holder_name_key": str,  # normalize_name(holder_name), what lookups compare
            "certificate_type": str,
            "catalog_entry": str,  # the knowledge catalog entry the type matches, or NULL
            "level": str,
            "issuer": str,
            "issued_on": str,  # YYYY-MM-DD
            "valid_until": str,  # YYYY-MM-DD, NULL for long-term
            "status": str,  # valid | suspended | revoked
            "updated_at": str,  # ISO timestamp of the last insert or change
        },
        pk="certificate_number",
        not_null={"holder_name", "holder_name_key", "certificate_type", "issuer", "issued_on", "status",
                  "updated_at"},
    )


MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "create certificates", _create_certificates),
]


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Applies the migrations this database lacks, each in its own transaction."""
    migrations = db["_migrations"]
    if not migrations.exists():
        migrations.create({"number": int, "name": str, "applied_at": str}, pk="number")  # type: ignore[union-attr]
    applied = {row["number"] for row in migrations.rows}
    newly_applied = []
    for number, name, apply in MIGRATIONS:
        if number in applied:
            continue
        with db.conn:
            apply(db)
            migrations.insert(  # type: ignore[union-attr]
                {"number": number, "name": name, "applied_at": datetime.now(timezone.utc).isoformat()}
            )
        newly_applied.append(number)
    return newly_applied
