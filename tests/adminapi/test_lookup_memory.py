"""``/lookup`` from the node's in-memory lists: right before they load, right after, and in the standalone API.

The equality of the memory and database answers on random lists is the property test's
(``test_precedence_property.py``); here are the states around it: lists never loaded because the database was down
at start (the database answers, correctly, instead of empty memory), the poll catching up, and ``python -m
adminapi`` — a process of its own with no screener — keeping its own lists fresh with the same sync.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from adminapi.routes.lookup import SOURCE_HEADER
from records import Database, Role
from records.errors import StorageError
from records.keys import create_key
from records.listsync import ListSync
from records.lookup import MemoryLists
from tests.adminapi.conftest import ApiHarness, api_harness
from tests.adminapi.live_server import wait_serving
from tests.conftest import REPO, free_port
from tests.records.db_backends import fresh_database

__all__ = ["fresh_database"]

NUMBER = "13812345678"


class DownAtStart(Database):
    """Fault injection: the database refuses the first ``failures`` units of work (down at start), then works."""

    def __init__(self, inner: Database, failures: int) -> None:  # no super().__init__: the inner one's engine
        self._inner = inner
        self.failures = failures
        self.url, self.is_sqlite, self.engine = inner.url, inner.is_sqlite, inner.engine

    @contextmanager
    def session(self) -> Iterator[Any]:
        if self.failures > 0:
            self.failures -= 1
            raise StorageError("database error: OperationalError: connection refused (injected)")
        with self._inner.session() as session:
            yield session


def _lookup(api: ApiHarness) -> tuple[str, dict[str, Any]]:
    response = api.client.get("/api/v1/lookup", params={"number": NUMBER}, headers=api.headers(Role.AGENT))
    assert response.status_code == 200, response.text
    return response.headers[SOURCE_HEADER], response.json()


def test_lists_not_loaded_the_database_answers_then_memory(database: Database) -> None:
    lists = MemoryLists.empty()
    sync = ListSync(DownAtStart(database, failures=1), lists.enforced, proposals=lists.proposed, interval_s=60)
    with pytest.raises(StorageError):
        sync.start()  # the first load fails as in `serve` with the database down; the poller runs on
    try:
        assert lists.version() is None
        with api_harness(database, lists=lists) as api:
            created = api.client.post("/api/v1/lists/entries", json={"list": "block", "value": NUMBER},
                                      headers=api.headers(Role.MANAGER))  # fmt: skip
            assert created.status_code == 201, created.text
            source, facts = _lookup(api)
            assert (source, facts["blocked"]) == ("database", True)  # not "unknown number" from empty memory
            assert sync.poll()  # the database is back: the poll loads the lists
            source, from_memory = _lookup(api)
            assert source == "memory" and from_memory == facts
    finally:
        sync.stop()


def test_a_proposal_is_pending_from_memory_and_approval_reaches_memory_with_the_poll(database: Database) -> None:
    lists = MemoryLists.empty()
    sync = ListSync(database, lists.enforced, proposals=lists.proposed)
    with api_harness(database, lists=lists) as api:
        manager = api.headers(Role.MANAGER)
        proposed = api.client.post("/api/v1/lists/entries", json={"value": NUMBER, "status": "proposed"},
                                   headers=manager).json()  # fmt: skip
        sync.load()
        source, facts = _lookup(api)
        assert source == "memory" and facts["pending_proposal"] and not facts["blocked"]
        assert api.client.post(f"/api/v1/review/{proposed['id']}/approve", headers=manager).status_code == 200
        source, facts = _lookup(api)
        assert source == "database" and facts["blocked"] and not facts["pending_proposal"]  # before the poll
        sync.poll()
        assert _lookup(api) == ("memory", facts)


STARTUP_TIMEOUT_S = 120  # imports alone take 8–60 s on a loaded 2-core machine


@contextmanager
def standalone_api(url: str, log: Path, *extra: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "adminapi", "--database-url", url, "--port", str(port), *extra]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_serving(base, server, STARTUP_TIMEOUT_S)
        except RuntimeError as exc:
            raise AssertionError(log.read_text()[-2000:]) from exc
        yield base
    finally:
        server.terminate()
        server.wait(10)


def test_standalone_api_keeps_its_own_lists_fresh(fresh_database: Database, tmp_path: Path) -> None:
    """A change made on another node (here: straight into the shared database) reaches the standalone API's
    memory within its poll interval; until then it answers from the database."""
    with fresh_database.session() as session:
        _, secret = create_key(session, Role.MANAGER, label="ops", actor="test")
    url = fresh_database.url.render_as_string(hide_password=False)
    log = tmp_path / "api.log"
    api = standalone_api(url, log, "--list-poll-s", "0.2")
    with api as base, httpx.Client(base_url=base, timeout=10) as client:
        headers = {"X-API-Key": secret}

        def lookup() -> httpx.Response:
            return client.get("/api/v1/lookup", params={"number": NUMBER}, headers=headers)

        first = lookup()
        assert first.headers[SOURCE_HEADER] == "memory" and first.json()["blocked"] is False
        created = client.post("/api/v1/lists/entries", json={"value": NUMBER}, headers=headers)
        assert created.status_code == 201
        deadline = time.monotonic() + 10
        while (answer := lookup()).headers[SOURCE_HEADER] != "memory":
            assert answer.json()["blocked"] is True  # the database path meanwhile, already right
            assert time.monotonic() < deadline, "the standalone API's lists never caught up"
            time.sleep(0.05)
        assert answer.json()["blocked"] is True
    assert NUMBER[3:] not in log.read_text()  # no access log: its lines would carry the number asked about
