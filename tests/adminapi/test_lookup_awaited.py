"""``/lookup`` across two nodes sharing one database, and its query awaited on the event loop on PostgreSQL.

Two nodes are two ``Database`` handles on one database (a file on SQLite, a schema on PostgreSQL), each with its own
in-memory lists; node B changes the lists and records calls, node A answers. On PostgreSQL node A's query runs on
its :class:`~records.asyncpool.AsyncPool` (a connection of its own: it sees what B committed, nothing else), so
these tests use ``fresh_database`` — the shared test database's rows live in one uncommitted transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from adminapi.routes.lookup import SOURCE_HEADER
from records import Database, Role
from records.lists import EntryDraft, create_entry
from records.listsync import ListSync
from records.lookup import MemoryLists
from records.models import CallArrival
from screening.numberlist import ListName, MatchKind
from tests.adminapi.conftest import ApiHarness, api_harness
from tests.records.db_backends import fresh_database

__all__ = ["fresh_database"]

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NUMBER = "13812345678"
NORMALIZED = "+8613812345678"


@contextmanager
def node(url: str, **database_options: Any) -> Iterator[tuple[ApiHarness, ListSync]]:
    """A node's admin API with its own lists, loaded once; its poll runs only when the test calls it."""
    db = Database(url, **database_options)
    memory = MemoryLists.empty()
    sync = ListSync(db, memory.enforced, proposals=memory.proposed, interval_s=60, clock=lambda: NOW)
    sync.load()
    try:
        with api_harness(db, lists=memory, clock=lambda: NOW) as api:
            yield api, sync
    finally:
        db.dispose()


def _lookup(api: ApiHarness) -> tuple[str, dict[str, Any]]:
    response = api.client.get("/api/v1/lookup", params={"number": NUMBER}, headers=api.headers(Role.AGENT))
    assert response.status_code == 200, response.text
    return response.headers[SOURCE_HEADER], response.json()


def _awaited_reads(api: ApiHarness) -> int | None:
    """Connections the node's async pool holds (None on SQLite): > 0 once a lookup took the awaited path."""
    pool = api.db.async_pool()
    return None if pool is None else pool.idle


def test_a_change_on_another_node_is_never_answered_from_stale_memory(fresh_database: Database) -> None:
    url = fresh_database.url.render_as_string(hide_password=False)
    with node(url) as (a, sync_a):
        source, facts = _lookup(a)
        assert (source, facts["blocked"], facts["calls_24h"]) == ("memory", False, 0)
        assert _awaited_reads(a) == (None if fresh_database.is_sqlite else 1)
        with fresh_database.session() as b:  # node B: two calls come in, then a manager blocks the number
            b.add_all([CallArrival(caller=NORMALIZED, at=NOW - timedelta(minutes=m)) for m in (5, 30)])
        source, facts = _lookup(a)
        assert (source, facts["calls_24h"]) == ("memory", 2)  # the counters are read live, not from memory
        with fresh_database.session() as b:
            create_entry(b, EntryDraft(ListName.BLOCK, MatchKind.EXACT, NORMALIZED), actor="manager:b")
        source, facts = _lookup(a)
        assert (source, facts["blocked"]) == ("database", True)  # A's memory is a version behind: not used
        assert sync_a.poll()
        source, from_memory = _lookup(a)
        assert source == "memory" and from_memory == facts


@pytest.mark.parametrize("fresh_database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_hung_database_delays_only_the_lookup_and_it_answers_503(fresh_database: Database) -> None:
    """A transaction elsewhere holds an exclusive lock on the list version: the lookup's query waits for it. The
    event loop serves other requests meanwhile, the lookup gets 503 after ``async_timeout_s``, and once the lock is
    gone the node answers from memory again (the timed-out connection was closed, not reused)."""
    url = fresh_database.url.render_as_string(hide_password=False)
    with node(url, async_timeout_s=1.0) as (a, _):
        assert _lookup(a)[0] == "memory"
        pool = a.db.async_pool()
        assert pool is not None and pool.idle == 1
        dsn, options = url.replace("postgresql+psycopg://", "postgresql://").split("?options=")
        locker = psycopg.connect(dsn, options=options.replace("%3D", "="))
        try:
            locker.execute("LOCK TABLE list_version IN ACCESS EXCLUSIVE MODE")  # held until rollback
            answers: list[httpx.Response] = []
            waiting = threading.Thread(target=lambda: answers.append(
                a.client.get("/api/v1/lookup", params={"number": NUMBER}, headers=a.headers(Role.AGENT))))  # fmt: skip
            waiting.start()
            taken = threading.Event()
            while pool.idle and waiting.is_alive():  # until the lookup has taken the connection
                taken.wait(0.005)
            assert a.client.get("/manager/").status_code == 200  # the loop is not frozen by the waiting query
            waiting.join(30)
            assert answers and answers[0].status_code == 503, answers
        finally:
            locker.rollback()
            locker.close()
        assert _lookup(a)[0] == "memory"
