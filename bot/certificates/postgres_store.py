"""The certificate store in PostgreSQL, for replicas on several machines.

The same interface as the SQLite store: numbered migrations, an upsert that reports what it
inserted, updated and left unchanged, a count, and a read-only lookup. An import streams
its rows into a temporary table with COPY and merges them with one INSERT ... ON CONFLICT
that touches only rows whose data changed; a lookup is one primary-key query on a pooled
connection.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.pool
from psycopg2 import sql

from bot.certificates.model import Certificate, normalize_name
from bot.certificates.store import DATA_COLUMNS
from bot.errors import CertificateNotFound, LookupUnavailable
from bot.protection.counter_store import without_password

# A lookup waits this long for a connection or a query (well under the action's timeout).
TIMEOUT_SECONDS = 2
_COPY_READ_SIZE = 1 << 20  # characters of CSV per read of the COPY
# One number for the advisory lock that lets one process at a time migrate.
_MIGRATION_LOCK = 7_204_512

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "create certificates", """
        CREATE TABLE certificates (
            certificate_number text PRIMARY KEY,   -- normalized: upper case, trimmed
            holder_name text NOT NULL,
            holder_name_key text NOT NULL,         -- normalize_name(holder_name), what lookups compare
            certificate_type text NOT NULL,
            catalog_entry text,                    -- the knowledge catalog entry the type matches
            level text,
            issuer text NOT NULL,
            issued_on date NOT NULL,
            valid_until date,                      -- NULL for long-term
            status text NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked')),
            updated_at timestamptz NOT NULL        -- the last insert or change
        )"""),
    (2, "certificates stamped when inserted", "ALTER TABLE certificates ALTER COLUMN updated_at SET DEFAULT now()"),
]


_CONNECTION_OPTIONS = {"connect_timeout": TIMEOUT_SECONDS}
# A lookup gives up after TIMEOUT_SECONDS; an import's merge takes as long as it takes.
_LOOKUP_CONNECTION_OPTIONS = {**_CONNECTION_OPTIONS, "options": f"-c statement_timeout={TIMEOUT_SECONDS * 1000}"}


def _unreachable(url: str, error: psycopg2.Error) -> LookupUnavailable:
    return LookupUnavailable(f"cannot reach the certificate database {without_password(url)}: {str(error).strip()}")


def _connect(url: str) -> psycopg2.extensions.connection:
    try:
        return psycopg2.connect(url, **_CONNECTION_OPTIONS)
    except psycopg2.Error as error:
        raise _unreachable(url, error) from error


def _connect_creating_database(url: str) -> psycopg2.extensions.connection:
    """A connection to `url`'s database, created first if the server has none of that name."""
    try:
        return psycopg2.connect(url, **_CONNECTION_OPTIONS)
    except psycopg2.OperationalError as error:
        if "does not exist" not in str(error):
            raise _unreachable(url, error) from error
    parameters = psycopg2.extensions.parse_dsn(url)
    server = _connect(psycopg2.extensions.make_dsn(url, dbname="postgres"))
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parameters["dbname"])))
    except psycopg2.errors.DuplicateDatabase:
        pass  # another process created it meanwhile
    finally:
        server.close()
    return _connect(url)


def migrate(connection: psycopg2.extensions.connection) -> list[int]:
    """Applies the migrations this database lacks, in one transaction, one process at a time."""
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        cursor.execute("CREATE TABLE IF NOT EXISTS _migrations (number integer PRIMARY KEY, name text NOT NULL, "
                       "applied_at timestamptz NOT NULL DEFAULT now())")
        cursor.execute("SELECT number FROM _migrations")
        applied = {row[0] for row in cursor.fetchall()}
        newly_applied = []
        for number, name, statement in MIGRATIONS:
            if number not in applied:
                cursor.execute(statement)
                cursor.execute("INSERT INTO _migrations (number, name) VALUES (%s, %s)", (number, name))
                newly_applied.append(number)
    return newly_applied


class _CsvStream(io.TextIOBase):
    """The records as CSV for one COPY, produced as PostgreSQL reads them: the server
    stores one part while the next is read and validated. None becomes an unquoted empty
    field, which COPY reads as NULL (no column holds an empty string)."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self._records = iter(records)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)
        # What went wrong while reading the records (a bad file): psycopg2 reports it only as
        # a cancelled COPY.
        self.error: Exception | None = None
        self.rows = 0

    def read(self, size: int | None = -1) -> str:
        wanted = size if size is not None and size >= 0 else float("inf")
        while self._buffer.tell() < wanted:
            try:
                record = next(self._records, None)
            except Exception as error:
                self.error = error
                raise
            if record is None:
                break
            self._writer.writerow([record[column] for column in DATA_COLUMNS])
            self.rows += 1
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


_COLUMNS = ", ".join(DATA_COLUMNS)
_MERGE = f"""
    WITH changed AS (
        INSERT INTO certificates ({_COLUMNS}, updated_at)
        SELECT {_COLUMNS}, now() FROM incoming
        ON CONFLICT (certificate_number) DO UPDATE
            SET {", ".join(f"{column} = excluded.{column}" for column in DATA_COLUMNS[1:])},
                updated_at = excluded.updated_at
            WHERE ({", ".join(f"certificates.{column}" for column in DATA_COLUMNS[1:])})
                IS DISTINCT FROM ({", ".join(f"excluded.{column}" for column in DATA_COLUMNS[1:])})
        RETURNING xmax = 0 AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM changed
"""


class PostgresCertificateDatabase:
    """The certificate database for writing: migrations, imports, counts (BOT_CERTIFICATES_DB_URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.location = without_password(url)
        self.connection = _connect_creating_database(url)
        migrate(self.connection)

    def upsert(self, records: Iterable[dict[str, Any]]) -> tuple[int, int, int]:
        """Inserts new certificates and updates changed ones, in one transaction.

        Returns (inserted, updated, unchanged).
        """
        stream = _CsvStream(records)
        try:
            return self._upsert(stream)
        except psycopg2.Error:
            if stream.error is not None:
                raise stream.error from None
            raise

    def _upsert(self, stream: _CsvStream) -> tuple[int, int, int]:
        with self.connection, self.connection.cursor() as cursor:
            # One import at a time; lookups go on meanwhile.
            cursor.execute("LOCK TABLE certificates IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM certificates)")
            if cursor.fetchone()[0]:
                # The first load has nothing to merge with: the rows go straight in.
                cursor.copy_expert(f"COPY certificates ({_COLUMNS}) FROM STDIN WITH (FORMAT csv)", stream,
                                   size=_COPY_READ_SIZE)
                return stream.rows, 0, 0
            cursor.execute("CREATE TEMPORARY TABLE incoming (LIKE certificates INCLUDING DEFAULTS) ON COMMIT DROP")
            cursor.execute("ALTER TABLE incoming DROP COLUMN updated_at")
            cursor.copy_expert(f"COPY incoming ({_COLUMNS}) FROM STDIN WITH (FORMAT csv)", stream,
                               size=_COPY_READ_SIZE)
            cursor.execute(_MERGE)
            inserted, updated = cursor.fetchone()
        return inserted, updated, stream.rows - inserted - updated

    def count(self) -> int:
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM certificates")
            return int(cursor.fetchone()[0])

    def close(self) -> None:
        self.connection.close()


class PostgresCertificateStore:
    """Looks certificates up in PostgreSQL, on a small pool of connections shared by the
    threads that run lookups."""

    def __init__(self, url: str, connections: int = 4) -> None:
        self.url = url
        self.connections = connections
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._pool_lock = threading.Lock()
        # psycopg2's pool fails at once when every connection is out: a lookup waits instead.
        self._free = threading.BoundedSemaphore(connections)

    def _get_pool(self) -> psycopg2.pool.ThreadedConnectionPool:
        with self._pool_lock:
            if self._pool is None:
                # As many kept connections as allowed: psycopg2 closes any returned beyond minconn.
                self._pool = psycopg2.pool.ThreadedConnectionPool(self.connections, self.connections, dsn=self.url,
                                                                  **_LOOKUP_CONNECTION_OPTIONS)
            return self._pool

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if not self._free.acquire(timeout=TIMEOUT_SECONDS):
            raise LookupUnavailable(f"every connection to the certificate database busy for {TIMEOUT_SECONDS} s")
        try:
            with self._connection() as connection, connection.cursor() as cursor:
                yield cursor
        finally:
            self._free.release()

    @contextmanager
    def _connection(self) -> Iterator[psycopg2.extensions.connection]:
        try:
            pool = self._get_pool()
            connection = pool.getconn()
        except psycopg2.Error as error:
            raise _unreachable(self.url, error) from error
        broken = False
        try:
            connection.autocommit = True  # one read per lookup: no transaction to keep open
            yield connection
        except psycopg2.Error as error:
            broken = connection.closed != 0 or isinstance(error, psycopg2.OperationalError)
            raise LookupUnavailable(f"certificate database error: {str(error).strip()}") from error
        finally:
            pool.putconn(connection, close=broken)

    def lookup(self, number: str, holder_name: str) -> Certificate:
        """The certificate with this normalized number, if the holder's name matches too.

        Raises:
            CertificateNotFound: no such number, or the name does not match (the same error).
            LookupUnavailable: the database is unreachable or not migrated.
        """
        with self._cursor() as cursor:
            cursor.execute(f"SELECT {_COLUMNS} FROM certificates WHERE certificate_number = %s", (number,))
            row = cursor.fetchone()
        if row is None:
            raise CertificateNotFound("no certificate matches that number and name")
        record = dict(zip(DATA_COLUMNS, row, strict=True))
        if record["holder_name_key"] != normalize_name(holder_name):
            raise CertificateNotFound("no certificate matches that number and name")
        return Certificate(
            number=record["certificate_number"], holder_name=record["holder_name"],
            certificate_type=record["certificate_type"], catalog_entry=record["catalog_entry"],
            level=record["level"] or "", issuer=record["issuer"], issued_on=record["issued_on"],
            valid_until=record["valid_until"], status=record["status"],
        )

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None

