"""Crash safety of a bulk import: ``kill -9`` of `callscreen serve` while it writes a 200,000-row CSV upload.

The node is killed once the import's transaction is open and rows are being written (PostgreSQL: the node's
session shows an INSERT into list_entries and nothing is visible yet; SQLite: the WAL grows while a reader still
sees no rows). After the restart the database shows all rows of the import or none — never part — and the same
upload then runs to completion, so the node works.
"""

from __future__ import annotations

import concurrent.futures
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.harness import ServiceProcess
from tests.robustness.pg import connect, count_rows, pg_database, pg_url  # noqa: F401 (fixture)

ROWS = 200_000
TABLE = "list_entries"
WAL_GROWTH = 1 << 20


def _csv() -> bytes:
    return ("value,reason\n" + "".join(f"139{i:08d},crash test\n" for i in range(ROWS))).encode()


def _admin_key(node: ServiceProcess) -> str:
    created = node.cli("keys", "create", "--role", "admin", "--label", "crash test")
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def _upload(node: ServiceProcess, key: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{node.api}/api/v1/lists/import", headers={"X-API-Key": key},
                      files={"file": ("block.csv", body, "text/csv")}, timeout=300)


class SqliteProbe:
    def __init__(self, workdir: Path) -> None:
        self.db = workdir / "var" / "callscreen.db"
        self.wal = Path(f"{self.db}-wal")
        self.baseline = 0

    def arm(self) -> None:
        self.baseline = self.wal.stat().st_size if self.wal.exists() else 0

    def count(self) -> int:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])

    def mid_transaction(self) -> bool:
        grown = self.wal.exists() and self.wal.stat().st_size > self.baseline + WAL_GROWTH
        return grown and self.count() == 0


class PgProbe:
    def __init__(self, database: str) -> None:
        self.database = database

    def arm(self) -> None:
        pass

    def count(self) -> int:
        return count_rows(self.database, TABLE)

    def mid_transaction(self) -> bool:
        with connect() as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query ILIKE %s",
                (self.database, f"INSERT INTO {TABLE}%"),
            ).fetchone()
        return bool(row and row[0]) and self.count() == 0


def _wait_for(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_mid_import_leaves_all_rows_or_none(tmp_path: Path, backend: str, request: pytest.FixtureRequest
                                                   ) -> None:
    env: dict[str, str] = {}
    probe: SqliteProbe | PgProbe = SqliteProbe(tmp_path)
    if backend == "postgresql":
        database = request.getfixturevalue("pg_database")
        env["CALLSCREEN_DATABASE_URL"] = pg_url(database)
        probe = PgProbe(database)
    node = ServiceProcess(tmp_path, env=env).start()
    body = _csv()
    try:
        key = _admin_key(node)
        probe.arm()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            upload = pool.submit(_upload, node, key, body)
            caught = _wait_for(probe.mid_transaction, 120)
            node.kill()
            with pytest.raises(httpx.TransportError):
                upload.result(timeout=30)  # the client saw the crash, not an answer
        assert caught, "never saw the import's transaction open (it finished, or never started)"
        node.start()
        visible = probe.count()
        assert visible in (0, ROWS), f"half-import visible after kill -9: {visible} of {ROWS} rows"
        again = _upload(node, key, body)
        assert again.status_code == 200, again.text
        assert again.json()["created"] + again.json()["skipped_existing"] == ROWS
        assert probe.count() == ROWS
        assert node.readyz() is not None
    finally:
        node.stop()
