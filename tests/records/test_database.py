from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from records import Database, StorageError
from records.models import Incident


def test_migrate_creates_every_table_and_is_idempotent(database: Database) -> None:
    database.migrate()
    tables = set(inspect(database.engine).get_table_names())
    assert {
        "screened_calls",
        "list_entries",
        "list_version",
        "incidents",
        "bill_imports",
        "bill_lines",
        "api_keys",
        "audit_log",
        "call_arrivals",
        "alembic_version",
    } <= tables


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    db.migrate()
    with db.session() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_naive_datetime_is_refused(database: Database) -> None:
    with pytest.raises(StorageError, match="naive datetime"), database.session() as session:
        session.add(Incident(occurred_at=datetime(2026, 1, 1, 12, 0), agent="a1"))
        session.flush()


def test_unreachable_database_raises_storage_error(tmp_path: Path) -> None:
    db = Database("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StorageError, match="unreachable"):
        db.ping()
    with pytest.raises(StorageError, match="migration"):
        db.migrate()


def test_migrations_match_the_models(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from records.base import Base

    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
