"""The real PostgreSQL for robustness tests: a throw-away database per test, a proxy to cut it, direct reads.

Tests read what a crash left behind straight from PostgreSQL (psycopg), never through the node under test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import require
from tests.robustness.tcp_proxy import TcpProxy

PG = ("127.0.0.1", 5432)


def connect(dbname: str = "test") -> Any:
    import psycopg

    try:
        return psycopg.connect(host=PG[0], port=PG[1], user="postgres", dbname=dbname, autocommit=True,
                               connect_timeout=3)
    except psycopg.OperationalError as exc:
        require(False, f"PostgreSQL at {PG[0]}:{PG[1]} unreachable: {exc}")
        raise


@contextmanager
def temporary_database(prefix: str = "cs_test") -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards (tests and benches)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_database() -> Iterator[str]:
    with temporary_database("cs_crash") as name:
        yield name


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    p = TcpProxy(PG)
    yield p
    p.close()


def pg_url(database: str, port: int = PG[1]) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"


def count_rows(database: str, table: str) -> int:
    with connect(database) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # table names are the test's constants
        return int(row[0]) if row else 0


def pg_call_ids(database: str) -> set[str]:
    with connect(database) as conn:
        return {row[0] for row in conn.execute("SELECT call_id FROM screened_calls")}
