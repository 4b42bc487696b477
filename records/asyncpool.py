"""A few PostgreSQL connections awaited on the event loop, for a hot read of one statement (``/lookup``'s query).

Why not the engine's sessions: a session on PostgreSQL is four round trips (the pool's pre-ping, ``BEGIN``, the
statement, ``COMMIT``) plus the ORM's and the pool's Python, and a sync driver must run in a worker thread so that
a hung database cannot freeze the event loop — the hop to the thread and back costs more CPU than the query
(BENCHMARKS.md, "Lookups from memory"). Here a statement is one round trip on an autocommit psycopg
``AsyncConnection``, prepared on the server (``prepare=True``), awaited on the loop; a hung database delays only
the requests that wait for it, for at most ``timeout_s``.

Autocommit changes nothing a single statement sees: PostgreSQL takes one snapshot per statement under READ
COMMITTED either way, so the values one ``SELECT`` reads together are consistent with each other, as before.

Connections are made when first needed, up to ``size``; a request beyond that waits for one to come back. A
connection that failed is closed, never reused; a *reused* connection that fails with a connection error (the
database restarted meanwhile — what the engine's pre-ping is for) is replaced once by a fresh one before the
error is reported. Connections belong to the event loop they were made on: used from another loop, the pool
starts afresh. ``close()`` is synchronous, so ``Database.dispose()`` can call it from any thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

import psycopg

from records.errors import StorageError


class AsyncPool:
    def __init__(self, connect_kwargs: Mapping[str, Any], *, size: int, timeout_s: float) -> None:
        if size < 1 or timeout_s <= 0:
            raise ValueError("an async pool needs size ≥ 1 and timeout_s > 0")
        self._connect_kwargs = {**connect_kwargs, "autocommit": True}
        self._size = size
        self._timeout_s = timeout_s
        self._lock = threading.Lock()  # close() may come from another thread than the loop's
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._closed = False

    @property
    def size(self) -> int:
        return self._size

    @property
    def idle(self) -> int:
        """Connections open and waiting (tests)."""
        return len(self._idle)

    def _slots_for(self, loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
        with self._lock:
            if self._loop is not loop or self._slots is None:
                stale, self._idle = self._idle, []
                self._loop, self._slots = loop, asyncio.Semaphore(self._size)
            else:
                stale = []
        for conn in stale:
            _finish(conn)
        return self._slots

    async def fetchone(self, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of ``sql`` (psycopg's ``%(name)s`` placeholders). Raises :class:`StorageError` when the
        database fails or does not answer within ``timeout_s``."""
        if self._closed:
            raise StorageError("database error: the async pool is closed")
        slots = self._slots_for(asyncio.get_running_loop())
        try:
            async with asyncio.timeout(self._timeout_s), slots:
                return await self._fetchone(sql, params)
        except TimeoutError as exc:
            raise StorageError(f"database error: no answer within {self._timeout_s:g} s") from exc
        except psycopg.Error as exc:
            message = f"database error: {exc.__class__.__name__}: {exc}".splitlines()[0]
            raise StorageError(message) from exc

    async def _fetchone(self, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        conn, reused = await self._acquire()
        try:
            try:
                row = await _run(conn, sql, params)
            except psycopg.OperationalError:
                if not reused:
                    raise
                _finish(conn)  # a connection the server dropped while idle: one fresh attempt
                conn = await psycopg.AsyncConnection.connect(**self._connect_kwargs)
                row = await _run(conn, sql, params)
        except BaseException:  # a failed or cancelled (timed-out) statement leaves the connection unusable
            _finish(conn)
            raise
        self._release(conn)
        return row

    async def _acquire(self) -> tuple[psycopg.AsyncConnection[Any], bool]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is not None and not conn.closed:
            return conn, True
        return await psycopg.AsyncConnection.connect(**self._connect_kwargs), False

    def _release(self, conn: psycopg.AsyncConnection[Any]) -> None:
        with self._lock:
            if not self._closed and conn.info.transaction_status is psycopg.pq.TransactionStatus.IDLE:
                self._idle.append(conn)
                return
        _finish(conn)

    def close(self) -> None:
        """Close the idle connections now and any in use when they come back; later reads raise StorageError."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            _finish(conn)


async def _run(conn: psycopg.AsyncConnection[Any], sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    cursor = await conn.execute(sql, params, prepare=True)
    return await cursor.fetchone()


def _finish(conn: psycopg.AsyncConnection[Any]) -> None:
    """Close without awaiting: the socket goes at once (libpq ``PQfinish``), from any thread or none."""
    conn.pgconn.finish()
