"""Measures certificate lookups and imports at scale and prints the figures quoted in docs/benchmarks.md.

    .venv/bin/python bench/lookup_benchmark.py [--rows 1000000] [--lookups 20000] [--backend postgresql]

1. Import rate: `bot db import`'s code path on a generated CSV of --rows certificates, into
   a new database (rows per second, validation included).
2. Lookup latency on that database: p50 and p99 over --lookups lookups through the store,
   half of them hits and half misses (unknown numbers and wrong names).
3. The same file imported again: every row compared with the stored one, none changed.

Results are printed and written to results/lookup_benchmark.json (SQLite) or
results/lookup_benchmark_postgresql.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.certificates.importer import FIELDS, import_file  # noqa: E402
from bot.certificates.lookup import CertificateDatabase, CertificateStore  # noqa: E402
from bot.certificates.postgres_store import PostgresCertificateDatabase, PostgresCertificateStore  # noqa: E402
from bot.certificates.store import SqliteCertificateDatabase, SqliteCertificateStore  # noqa: E402
from bot.errors import CertificateNotFound  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from tests.conftest import new_postgres_database  # noqa: E402

SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu")


def holder(index: int) -> str:
    """A name without digits (the importer rejects digits in names): the index in letters."""
    letters = ""
    rest = index % 17_576
    for _ in range(3):
        rest, letter = divmod(rest, 26)
        letters += chr(ord("a") + letter)
    return f"{SURNAMES[index % len(SURNAMES)]} X{letters}"


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(FIELDS) + "\n")
        for index in range(rows):
            valid_until = "" if index % 5 == 0 else f"20{27 + index % 10}-0{1 + index % 9}-15"
            status = ("valid", "valid", "valid", "suspended", "revoked")[index % 5]
            handle.write(f"BENCH-{index:09d},{holder(index)},Electrician level certificate,Level {index % 5 + 1},"
                         f"Skills Appraisal Centre,2020-01-{1 + index % 28:02d},{valid_until},{status}\n")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                        help="postgresql: a new database on the machine's PostgreSQL (BOT_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as cleanup:
        csv_path, db_path = Path(folder) / "certificates.csv", Path(folder) / "certificates.db"
        write_csv(csv_path, args.rows)
        database: CertificateDatabase
        store: CertificateStore
        if args.backend == "postgresql":
            url = cleanup.enter_context(new_postgres_database())
            database, store = PostgresCertificateDatabase(url), PostgresCertificateStore(url, connections=1)
        else:
            database, store = SqliteCertificateDatabase(db_path), SqliteCertificateStore(db_path)
        started = time.perf_counter()
        summary = import_file(database, csv_path, lambda _: "electrician", date.today())
        seconds = time.perf_counter() - started
        assert summary.inserted == args.rows and not summary.rejected, summary
        rate = args.rows / seconds
        print(f"import: {args.rows} rows in {seconds:.1f} s = {rate:,.0f} rows/s", flush=True)

        rng = random.Random(1)
        timings = []
        for attempt in range(args.lookups):
            index = rng.randrange(args.rows)
            number = f"BENCH-{index:09d}" if attempt % 4 != 3 else f"BENCH-X{index:08d}"
            name = holder(index) if attempt % 4 < 2 else "Wrong Name"
            started = time.perf_counter()
            with contextlib.suppress(CertificateNotFound):  # misses are timed like hits
                store.lookup(number, name)
            timings.append((time.perf_counter() - started) * 1000)
        p50, p99 = percentile(timings, 0.50), percentile(timings, 0.99)
        print(f"lookup on {args.rows} certificates: p50 {p50:.3f} ms, p99 {p99:.3f} ms ({args.lookups} lookups)")
        # The same file again: every row compared with the stored one, none written.
        started = time.perf_counter()
        again = import_file(database, csv_path, lambda _: "electrician", date.today())
        again_seconds = time.perf_counter() - started
        assert again.unchanged == args.rows, again
        print(f"import of the same file again (all unchanged): {args.rows / again_seconds:,.0f} rows/s", flush=True)
        database.close()
        if isinstance(store, PostgresCertificateStore):
            store.close()
    results = {"backend": args.backend, "rows": args.rows, "import_rows_per_second": round(rate),
               "import_seconds": round(seconds, 1), "reimport_rows_per_second": round(args.rows / again_seconds),
               "lookups": args.lookups, "lookup_p50_ms": round(p50, 3), "lookup_p99_ms": round(p99, 3)}
    out = PROJECT_ROOT / "results" / f"lookup_benchmark{'' if args.backend == 'sqlite' else '_' + args.backend}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
