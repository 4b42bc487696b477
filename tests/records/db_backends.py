"""Database fixtures on the real backends, SQLite and PostgreSQL.

``database`` (most tests): one database per backend is migrated once per test session (per xdist worker); each
test runs inside an outer transaction on one connection that is rolled back when the test ends, and every
``Database.session()`` of the code under test is a savepoint inside it (SQLAlchemy 2's "joining a Session into an
external transaction" recipe). A test sees only its own rows, and no test pays for a migration.

``fresh_database``: a freshly migrated database of the test's own (a file on SQLite, a schema on PostgreSQL), for
the few tests where a *second connection* must see committed rows — another node, a thread with its own engine.
The migrations themselves are tested once, from an empty database (``tests/records/test_migrations.py``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from records.database import Database
from records.errors import StorageError
from tests.conftest import require

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_DSN):
            return True
    except psycopg.Error:
        return False


def require_postgres() -> None:
    require(_pg_available(), "PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres, db test)")


@contextmanager
def empty_schema_url(url: str) -> Iterator[str]:
    """A URL whose ``search_path`` is a new empty schema on the PostgreSQL at ``url``; the schema is dropped after."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def schema_database(url: str) -> Iterator[Database]:
    """A migrated throwaway schema on the PostgreSQL at ``url``, dropped afterwards (tests and benches)."""
    with empty_schema_url(url) as schema_url:
        db = Database(schema_url)
        try:
            db.migrate()
            yield db
        finally:
            db.dispose()


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of an empty database on ``backend`` (a new file in ``directory``, or a new PostgreSQL schema)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'records-{uuid.uuid4().hex[:8]}.db'}"
        return
    require_postgres()
    with empty_schema_url(PG_URL) as url:
        yield url


@contextmanager
def migrated_database(backend: str, directory: Path) -> Iterator[Database]:
    with empty_database(backend, directory) as url:
        db = Database(url)
        try:
            db.migrate()
            yield db
        finally:
            db.dispose()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling begins late and cannot nest SAVEPOINTs inside an outer transaction; hand
    # transaction control to SQLAlchemy (the documented recipe for "Serializable isolation / Savepoints").
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


class BoundDatabase(Database):
    """A :class:`Database` whose units of work are savepoints inside one outer transaction that the test owns.

    Units of work are serialised by a lock: the code under test may use the database from several threads (the
    API server's worker threads, list sync, purge), and interleaved savepoints on one connection would release
    each other. ``engine`` is the shared migrated engine, for schema inspection only — rows written through it
    bypass the test's transaction.
    """

    def __init__(self, shared: Database, connection: Connection) -> None:  # no super().__init__: no new engine
        self.url = shared.url
        self.is_sqlite = shared.is_sqlite
        self.engine = shared.engine
        self.connection = connection
        self.sessionmaker = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        self._lock = threading.RLock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._lock, super().session() as session:
            yield session

    def migrate(self, revision: str = "head") -> None:
        raise AssertionError("the shared test database is migrated once per session; use fresh_database")

    def async_pool(self) -> None:
        """None: connections of its own would not see the test's rows, which only its one connection holds; the
        code under test takes its session path. The async path is tested on ``fresh_database``."""
        return None

    def ping(self) -> None:
        with self._lock:
            try:
                self.connection.execute(text("SELECT 1"))
            except SQLAlchemyError as exc:
                raise StorageError(f"database unreachable: {exc}".splitlines()[0]) from exc

    def dispose(self) -> None:
        """The connection belongs to the fixture, which rolls it back and closes it."""


class SharedDatabases:
    """One migrated database per backend for the whole session, created on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._open: dict[str, Database] = {}
        self._contexts: list[Any] = []

    def get(self, backend: str) -> Database:
        if backend not in self._open:
            context = migrated_database(backend, self.directory)
            db = context.__enter__()
            self._contexts.append(context)
            if db.is_sqlite:
                db.engine.dispose()  # pooled connections made before the listeners were added
                event.listen(db.engine, "connect", _sqlite_connect)
                event.listen(db.engine, "begin", _sqlite_begin)
            self._open[backend] = db
        return self._open[backend]

    def close(self) -> None:
        for context in reversed(self._contexts):
            context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def shared_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDatabases]:
    shared = SharedDatabases(tmp_path_factory.mktemp("records"))
    yield shared
    shared.close()


@contextmanager
def bound_database(shared: Database) -> Iterator[BoundDatabase]:
    """A per-test view of ``shared``: everything it writes is rolled back at the end of the block."""
    with shared.engine.connect() as connection:
        outer = connection.begin()
        try:
            yield BoundDatabase(shared, connection)
        finally:
            if outer.is_active:
                outer.rollback()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, shared_databases: SharedDatabases) -> Iterator[Database]:
    if request.param == "postgres":
        require_postgres()
    with bound_database(shared_databases.get(request.param)) as db:
        yield db


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path) as db:
        yield db
