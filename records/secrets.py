"""Secrets all nodes of one installation share, kept in the shared database.

The caller-hash salt must be the same on every node, or one caller gets a different hash per node and reports
split him in two. An operator may set ``privacy.hash_salt``; otherwise the first node to start generates one and
stores it here, and every other node reads it. Two nodes starting at once both try to insert: the primary key lets
one win and the other reads the winner's value.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from records.database import Database
from records.errors import StorageError
from records.models import ServiceSecret

HASH_SALT = "caller_hash_salt"


def shared_secret(db: Database, name: str, *, initial: str | None = None) -> str:
    """The installation-wide value of ``name``; stored on first use (``initial`` or a fresh random value)."""
    with db.session() as session:
        existing = session.scalar(select(ServiceSecret.value).where(ServiceSecret.name == name))
        if existing is not None:
            return existing
    try:
        with db.session() as session:
            session.add(ServiceSecret(name=name, value=initial or secrets.token_hex(32)))
    except StorageError as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise
    with db.session() as session:
        value = session.scalar(select(ServiceSecret.value).where(ServiceSecret.name == name))
    if value is None:
        raise StorageError(f"secret {name!r} could not be stored")
    return value
