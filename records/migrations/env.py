"""Alembic environment: always called from :meth:`Database.migrate` with an open connection."""

from __future__ import annotations

from alembic import context

from records import models  # noqa: F401  (registers the tables on Base.metadata)
from records.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through records.database.Database.migrate()")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
