"""An app per test on each database backend, with one key per role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adminapi import create_app
from records import Database, Role
from records.keys import create_key
from tests.adminapi.live_server import serve
from tests.records.db_backends import database, shared_databases

__all__ = ["ApiHarness", "api", "api_harness", "database", "shared_databases"]

MAX_UPLOAD = 64 * 1024


@dataclass
class ApiHarness:
    client: httpx.Client
    app: FastAPI
    db: Database
    keys: dict[Role, str]

    def headers(self, role: Role) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


@contextmanager
def api_harness(database: Database, **app_options: Any) -> Iterator[ApiHarness]:
    """The app over real HTTP with one key per role; ``app_options`` go to ``create_app`` (a clock, lists…)."""
    with database.session() as s:
        keys = {role: create_key(s, role, label=f"test-{role.value}", actor="test")[1] for role in Role}
    app = create_app(db=database, max_upload_bytes=MAX_UPLOAD, salt=b"test-salt", **app_options)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield ApiHarness(client, app, database, keys)


@pytest.fixture
def api(database: Database) -> Iterator[ApiHarness]:
    with api_harness(database) as harness:
        yield harness
