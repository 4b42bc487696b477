"""The event-loop connections of :mod:`records.asyncpool`, on the real PostgreSQL (they exist only there)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from records.asyncpool import AsyncPool
from records.database import Database
from records.errors import StorageError
from tests.records.db_backends import PG_DSN, PG_URL, require_postgres

PID = "SELECT pg_backend_pid()"


@pytest.fixture
def pool() -> Iterator[AsyncPool]:
    require_postgres()
    db = Database(PG_URL, async_connections=2, async_timeout_s=2.0)
    found = db.async_pool()
    assert found is not None
    yield found
    db.dispose()


def _pid(pool: AsyncPool) -> int:
    row = asyncio.run(pool.fetchone(PID, {}))
    assert row is not None
    return int(row[0])


def test_sqlite_has_none(tmp_path: Path) -> None:
    assert Database(f"sqlite:///{tmp_path}/x.db").async_pool() is None


def test_a_connection_is_reused_and_one_the_server_dropped_is_replaced(pool: AsyncPool) -> None:
    async def pid() -> int:
        row = await pool.fetchone(PID, {})
        assert row is not None
        return int(row[0])

    async def main() -> tuple[int, int, int]:
        first, again = await pid(), await pid()
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [first])  # as a database restart does
        return first, again, await pid()

    first, again, after_restart = asyncio.run(main())
    assert again == first  # one round trip on the same connection, not a new one
    assert after_restart != first and pool.idle == 1  # answered on a fresh connection instead of an error


def test_never_more_connections_than_its_size(pool: AsyncPool) -> None:
    async def main() -> set[int]:
        rows = await asyncio.gather(*(pool.fetchone("SELECT pg_sleep(0.02), pg_backend_pid()", {}) for _ in range(8)))
        return {int(row[1]) for row in rows if row is not None}

    assert len(asyncio.run(main())) <= 2 and pool.idle <= 2


def test_an_error_is_a_storage_error_and_the_connection_is_not_reused(pool: AsyncPool) -> None:
    first = _pid(pool)
    with pytest.raises(StorageError, match="UndefinedTable"):
        asyncio.run(pool.fetchone("SELECT * FROM no_such_table", {}))
    assert pool.idle == 0 and _pid(pool) != first


def test_a_statement_past_the_timeout_is_a_storage_error() -> None:
    require_postgres()
    short = AsyncPool({"conninfo": PG_DSN}, size=1, timeout_s=0.2)
    with pytest.raises(StorageError, match=r"no answer within 0\.2 s"):
        asyncio.run(short.fetchone("SELECT pg_sleep(5)", {}))
    assert short.idle == 0
    short.close()


def test_each_event_loop_gets_its_own_connections_and_close_refuses_further_reads(pool: AsyncPool) -> None:
    first = _pid(pool)  # asyncio.run: a new loop each time; the first loop's connection is not awaited on another
    assert pool.idle == 1
    second = _pid(pool)
    assert second != first and pool.idle == 1
    pool.close()
    assert pool.idle == 0
    with pytest.raises(StorageError, match="closed"):
        _pid(pool)
