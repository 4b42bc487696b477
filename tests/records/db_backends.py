"""The ``database`` fixture: a freshly migrated database on SQLite and on PostgreSQL (own schema per test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from records.database import Database
from tests.conftest import require

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_DSN):
            return True
    except psycopg.Error:
        return False


@contextmanager
def schema_database(url: str) -> Iterator[Database]:
    """A migrated throwaway schema on the PostgreSQL at ``url``, dropped afterwards (tests and benches)."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    db = Database(f"{url}?options=-csearch_path%3D{schema}")
    try:
        db.migrate()
        yield db
    finally:
        db.dispose()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def make_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'records.db'}")
        db.migrate()
        yield db
        db.dispose()
        return
    require(_pg_available(), "PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres, db test)")
    with schema_database(PG_URL) as db:
        yield db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from make_database(request.param, tmp_path)
