"""Settings → records-layer values, for the record-keeping subcommands and for the composition root.

The records and API packages take plain values (they never import ``callscreen``); this is where the settings
object is translated into them, once.
"""

from __future__ import annotations

import getpass
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import uvicorn
from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session

from adminapi import create_app
from adminapi.routes.model import ModelControl
from callscreen.settings import Settings
from records import AutoEntryPolicy, Database, StorageError
from records.costs import Tariffs
from records.lookup import MemoryLists
from records.policy import LadderStep
from records.retention import PrivacyRules
from records.secrets import HASH_SALT, shared_secret
from records.shadow_capture import ShadowCapture
from records.signing import key_path

log = logging.getLogger(__name__)
SALT_FILE = "hash_salt"


def open_database(settings: Settings) -> Database:
    """The configured database, migrated to the current schema."""
    db = Database(
        settings.database.url, echo=settings.database.echo, async_connections=settings.database.async_connections,
        async_timeout_s=settings.database.async_timeout_s,
    )  # fmt: skip
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
        ladder=tuple(LadderStep(s.notice, s.block_days, s.carrier_report) for s in settings.ladder.steps),
        auto_approve=settings.ladder.auto_approve,
        window=timedelta(days=section.auto_block_window_days),
        auto_activate_at=section.auto_activate_at,
        expires_after=timedelta(days=section.auto_block_expires_days) if section.auto_block_expires_days else None,
    )


def privacy_rules(settings: Settings) -> PrivacyRules:
    section = settings.privacy
    return PrivacyRules(unflagged_days=section.unflagged_days, evidence_days=section.evidence_days,
                        bill_days=section.bill_days, shadow_days=section.shadow_days)  # fmt: skip


def hash_salt(settings: Settings, db: Database) -> bytes:
    """The caller-hash salt: configured, else shared through the database so every node hashes alike.

    A salt file in ``data_dir`` (single-node installs, or a database that was down at start) seeds the shared
    value the first time; while the database is unreachable the node falls back to that file, loudly.
    """
    if settings.privacy.hash_salt is not None:
        return settings.privacy.hash_salt.get_secret_value().encode()
    path = settings.data_dir / SALT_FILE
    local = path.read_text().strip() if path.exists() else None
    try:
        return shared_secret(db, HASH_SALT, initial=local).encode()
    except StorageError as exc:
        log.error("hash salt not readable from the database (%s): using the local one; set privacy.hash_salt "
                  "on every node so caller hashes agree", exc)  # fmt: skip
    if local is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        local = secrets.token_hex(32)
        path.write_text(local)
        path.chmod(0o600)
    return local.encode()


def shadow_capture(settings: Settings) -> ShadowCapture:
    """How much caller history to keep with each screening input (the longest history window, plus margin)."""
    section = settings.screening
    longest = max(section.repeat_window_min, section.burst_window_min)
    return ShadowCapture(lookback=timedelta(minutes=2 * longest), burst_drop_digits=section.burst_drop_digits,
                         confirmation_window=timedelta(days=section.confirmation_window_days))  # fmt: skip


def tariffs(settings: Settings) -> Tariffs:
    section = settings.costs
    return Tariffs.of(section.tariffs, default=section.default_tariff, currency=section.currency)


def spool_dir(settings: Settings) -> Path:
    return settings.database.spool_dir or settings.data_dir / "spool"


def cli_actor() -> str:
    """Audit-log actor for changes made from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def admin_app(
    settings: Settings,
    db: Database,
    *,
    salt: bytes,
    health_router: APIRouter | None = None,
    model_control: ModelControl | None = None,
    lists: MemoryLists | None = None,
) -> FastAPI:
    """The admin API and manager page, configured from the settings (``callscreen serve`` mounts this, with the
    screener's in-memory ``lists`` for ``/lookup``)."""
    return create_app(
        db=db,
        health_router=health_router,
        max_upload_bytes=settings.api.max_upload_bytes,
        salt=salt,
        timezone=settings.screening.timezone,
        tariffs=tariffs(settings),
        policy=auto_entry_policy(settings),
        evidence_key=key_path(settings.data_dir),
        node=settings.node_name,
        model_control=model_control,
        screening=settings.screening,
        lists=lists,
        key_cache_ttl_s=settings.api.key_cache_ttl_s,
    )


def api_server(settings: Settings, app: FastAPI) -> uvicorn.Server:
    """The uvicorn server for the admin API: HTTPS when ``api.tls_cert``/``api.tls_key`` are set, and forwarded
    headers believed only from ``api.proxy_ips`` (so behind a TLS-terminating proxy the page knows it is HTTPS)."""
    api = settings.api
    config = uvicorn.Config(
        app, host=api.host, port=api.port, log_level="warning", lifespan="off",
        ssl_certfile=str(api.tls_cert) if api.tls_cert else None,
        ssl_keyfile=str(api.tls_key) if api.tls_key else None,
        proxy_headers=True, forwarded_allow_ips=api.proxy_ips,
    )  # fmt: skip
    return uvicorn.Server(config)  # in a non-main thread uvicorn leaves signal handling to `serve`
