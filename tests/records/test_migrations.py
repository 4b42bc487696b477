"""The migrations, tested once per backend from an empty database: upgrade to head (twice — it runs on every
start), the schema equals the models, downgrade to nothing, and upgrade again. Every other database test runs on one
database per backend migrated this way, inside a transaction rolled back per test (``tests/records/db_backends.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from records import Database
from records.base import Base
from records.database import MIGRATIONS_DIR
from tests.records.db_backends import BACKENDS, empty_database

TABLES = set(Base.metadata.tables)
ESSENTIAL = {"screened_calls", "list_entries", "list_version", "incidents", "api_keys", "audit_log", "call_arrivals"}


def _downgrade_to_base(db: Database) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_empty_to_head_matches_the_models_and_downgrades(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as url:
        db = Database(url)
        try:
            assert set(inspect(db.engine).get_table_names()) == set()
            db.migrate()
            db.migrate()  # every start migrates: a current schema is left alone
            assert ESSENTIAL <= TABLES
            assert set(inspect(db.engine).get_table_names()) == TABLES | {"alembic_version"}
            assert _diff(db) == []

            _downgrade_to_base(db)
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

            db.migrate()
            assert _diff(db) == []
        finally:
            db.dispose()
