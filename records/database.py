"""The database handle: one engine, a session factory, and migrations run from inside the package.

SQLite (the embedded default) runs in WAL mode with a busy timeout, so screener threads, the API and the CLI can
use one file at once; PostgreSQL is for several nodes. ``postgresql://`` URLs get the psycopg 3 driver.
Migrations are Alembic's, run programmatically (``migrate()``), so an installed wheel needs no alembic.ini.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from psycopg.errors import UniqueViolation
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from records.asyncpool import AsyncPool
from records.errors import DuplicateRowError, StorageError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
ASYNC_POOL_SIZE = 4  # the defaults of database.async_connections / async_timeout_s (callscreen.settings)
ASYNC_TIMEOUT_S = 2.0


def _engine_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _unique_violation(exc: SQLAlchemyError) -> bool:
    """A unique constraint refused the row (PostgreSQL SQLSTATE 23505, SQLite 'UNIQUE constraint failed')."""
    if not isinstance(exc, IntegrityError):
        return False
    return isinstance(exc.orig, UniqueViolation) or "UNIQUE constraint failed" in str(exc.orig)


class Database:
    """Owns the engine. ``session()`` is the unit of work: it commits on success and rolls back on error.

    ``async_pool()``: on PostgreSQL, a few connections of its own awaited on the event loop for a hot single-statement
    read (:mod:`records.asyncpool`), at most ``async_connections`` of them, each read bounded by ``async_timeout_s``.
    """

    def __init__(
        self, url: str, *, echo: bool = False, async_connections: int = ASYNC_POOL_SIZE,
        async_timeout_s: float = ASYNC_TIMEOUT_S,
    ) -> None:  # fmt: skip
        self.url = _engine_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        # hide_parameters: SQL errors end up in logs, and their parameters would be caller numbers.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._async_pool: AsyncPool | None = None
        if not self.is_sqlite:
            _, connect_kwargs = self.engine.dialect.create_connect_args(self.url)
            self._async_pool = AsyncPool(connect_kwargs, size=async_connections, timeout_s=async_timeout_s)

    def async_pool(self) -> AsyncPool | None:
        """The event-loop connections for a hot read, None on SQLite (its reads are in-process: no round trip to
        await, a WAL reader never waits for a writer). What they read is what any *other* connection sees: the
        committed rows."""
        return self._async_pool

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work. SQLAlchemy errors come out as :class:`StorageError`."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            message = f"database error: {exc.__class__.__name__}: {exc}".splitlines()[0]
            if _unique_violation(exc):
                raise DuplicateRowError(message) from exc
            raise StorageError(message) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (Alembic upgrade); safe to call on every start."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except SQLAlchemyError as exc:
            raise StorageError(f"migration to {revision} failed: {exc}".splitlines()[0]) from exc
        log.info("database schema at %s (%s)", revision, self.url.render_as_string(hide_password=True))

    def ping(self) -> None:
        """Raise :class:`StorageError` unless the database answers (health checks)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StorageError(f"database unreachable: {exc}".splitlines()[0]) from exc

    def dispose(self) -> None:
        if self._async_pool is not None:
            self._async_pool.close()
        self.engine.dispose()
