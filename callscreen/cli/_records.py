"""Settings → records-layer values, for the record-keeping subcommands and for the composition root.

The records and API packages take plain values (they never import ``callscreen``); this is where the settings
object is translated into them, once.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session

from adminapi import create_app
from callscreen.settings import Settings
from records import AutoEntryPolicy, Database
from records.signing import key_path


def open_database(settings: Settings) -> Database:
    """The configured database, migrated to the current schema."""
    db = Database(settings.database.url, echo=settings.database.echo)
    db.migrate()
    return db


@contextmanager
def records_session(settings: Settings) -> Iterator[Session]:
    """One unit of work on the configured database, for a one-shot command."""
    db = open_database(settings)
    try:
        with db.session() as session:
            yield session
    finally:
        db.dispose()


def auto_entry_policy(settings: Settings) -> AutoEntryPolicy:
    section = settings.database
    return AutoEntryPolicy(
        repeat_harassment=section.auto_block_after,
        window=timedelta(days=section.auto_block_window_days),
        auto_activate_at=section.auto_activate_at,
        expires_after=timedelta(days=section.auto_block_expires_days) if section.auto_block_expires_days else None,
    )


def spool_dir(settings: Settings) -> Path:
    return settings.database.spool_dir or settings.data_dir / "spool"


def cli_actor() -> str:
    """Audit-log actor for changes made from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def admin_app(settings: Settings, db: Database, *, salt: bytes, health_router: APIRouter | None = None) -> FastAPI:
    """The admin API and manager page, configured from the settings (``callscreen serve`` mounts this)."""
    return create_app(
        db=db,
        health_router=health_router,
        max_upload_bytes=settings.api.max_upload_bytes,
        salt=salt,
        timezone=settings.screening.timezone,
        agent_seconds_per_call=settings.api.agent_seconds_per_call,
        policy=auto_entry_policy(settings),
        evidence_key=key_path(settings.data_dir),
        node=settings.node_name,
    )
