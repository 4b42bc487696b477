"""An app per test on each database backend, with one key per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from adminapi import create_app
from records import Database, Role
from records.keys import create_key
from tests.adminapi.live_server import serve
from tests.records.db_backends import database, shared_databases

__all__ = ["ApiHarness", "api", "database", "shared_databases"]

MAX_UPLOAD = 64 * 1024


@dataclass
class ApiHarness:
    client: httpx.Client
    app: FastAPI
    db: Database
    keys: dict[Role, str]

    def headers(self, role: Role) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


@pytest.fixture
def api(database: Database) -> Iterator[ApiHarness]:
    with database.session() as s:
        keys = {role: create_key(s, role, label=f"test-{role.value}", actor="test")[1] for role in Role}
    app = create_app(db=database, max_upload_bytes=MAX_UPLOAD, salt=b"test-salt")
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield ApiHarness(client, app, database, keys)
