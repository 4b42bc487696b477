from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from records import Database, StorageError
from records.models import Incident


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
