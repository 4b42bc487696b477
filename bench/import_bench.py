"""List import of 1,000,000 rows: parse + validate + insert in one transaction, then export and matcher load.

    .venv/bin/python bench/import_bench.py [--rows 1000000] [--database-url postgresql://postgres@127.0.0.1/test]

Prints wall time and rows/s for each stage and the process's peak RSS. The default database is a fresh SQLite
file in a temporary directory; a PostgreSQL run uses a throwaway schema.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # runnable as `python bench/<name>.py`

from bench._records_server import api_server, database  # noqa: E402
from records import Database, ListSync, Role  # noqa: E402
from records.keys import create_key  # noqa: E402
from records.list_csv import export_entries, import_entries  # noqa: E402
from screening.numberlist import InMemoryNumberLists, ListName  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")


def make_csv(rows: int) -> str:
    lines = ["value,kind,reason"]
    lines += [f"13{i // 100_000_000 % 10}{i % 100_000_000:08d},exact,bench" for i in range(rows)]
    return "\n".join(lines) + "\n"


def stage(name: str, rows: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    print(f"{name:<28} {elapsed:8.2f} s  {rows / elapsed:>10,.0f} rows/s")


def api_import(db: Database, text: str, rows: int) -> None:
    """The same file through HTTP into the allow list (so every row is new), the way an administrator uploads it."""
    with db.session() as session:
        _, key = create_key(session, Role.ADMIN, label="bench", actor="bench")
    with api_server(db) as url:
        t = time.perf_counter()
        response = httpx.post(
            f"{url}/api/v1/lists/import",
            params={"list": "allow"},
            headers={"X-API-Key": key},
            files={"file": ("bench.csv", text.encode())},
            timeout=600,
        )
        assert response.status_code == 200 and response.json()["created"] == rows, response.text[:500]
        stage("import via API (HTTP upload)", rows, t)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--via-api", action="store_true", help="also time the upload through POST /lists/import")
    args = parser.parse_args()
    backend = "postgresql" if args.database_url else "sqlite (WAL)"
    print(f"list import bench: {args.rows:,} rows, {backend}")
    t = time.perf_counter()
    text = make_csv(args.rows)
    stage("generate CSV", args.rows, t)
    print(f"{'CSV size':<28} {len(text) / 1e6:8.1f} MB")
    with database(args.database_url) as db:
        t = time.perf_counter()
        with db.session() as session:
            result = import_entries(session, text, default_list=ListName.BLOCK, zone=ZONE, actor="bench")
        assert result.created == args.rows, result
        stage("import (one transaction)", args.rows, t)
        t = time.perf_counter()
        with db.session() as session:
            again = import_entries(session, text, default_list=ListName.BLOCK, zone=ZONE, actor="bench")
        assert again.skipped_existing == args.rows
        stage("re-import (all existing)", args.rows, t)
        t = time.perf_counter()
        with db.session() as session:
            size = sum(len(chunk) for chunk in export_entries(session, list_name=ListName.BLOCK, status=None))
        stage("export (streamed CSV)", args.rows, t)
        print(f"{'export size':<28} {size / 1e6:8.1f} MB")
        if args.via_api:
            api_import(db, text, args.rows)
        lists = InMemoryNumberLists()
        t = time.perf_counter()
        ListSync(db, lists).load()
        stage("ListSync.load into matcher", args.rows, t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak RSS':<28} {peak:8.0f} MB")


if __name__ == "__main__":
    main()
