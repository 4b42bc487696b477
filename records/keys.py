"""API keys: created once (the secret is shown once), stored as a SHA-256 hash, revocable, role-scoped.

Keys are 32 random bytes, so a plain SHA-256 is enough (no password stretching needed for high-entropy secrets)
and lookups stay a single indexed equality. ``last_used_at`` is written at most once a minute per key, so the
PBX's lookup traffic does not turn every request into a write.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.audit import record_change
from records.base import utcnow
from records.errors import ConflictError, NotFoundError
from records.models import ApiKey, Role

KEY_PREFIX = "cs_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling the API: a machine's key ("key:3 ops-pbx") or a logged-in person ("user:wang")."""

    key_id: int | None
    role: Role
    label: str
    user_id: int | None = None
    username: str | None = None

    @property
    def actor(self) -> str:
        """The name the audit log records: the person's user name, or the key's id and label."""
        if self.username is not None:
            return f"user:{self.username}"
        return f"key:{self.key_id}" + (f" {self.label}" if self.label else "")

    def allows(self, needed: Role) -> bool:
        return self.role.rank >= needed.rank


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _state(row: ApiKey) -> dict[str, str | None]:
    return {
        "role": row.role.value,
        "label": row.label,
        "prefix": row.prefix,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def create_key(session: Session, role: Role, *, label: str = "", actor: str) -> tuple[ApiKey, str]:
    """A new key; returns the row and the secret, which is not stored and cannot be shown again."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(key_hash=hash_key(secret), prefix=secret[: len(KEY_PREFIX) + 6], role=role, label=label)
    session.add(row)
    session.flush()
    record_change(session, actor=actor, action="key.create", target=f"key:{row.id}", after=_state(row))
    return row, secret


def authenticate(session: Session, key: str, *, now: datetime | None = None) -> Principal | None:
    """The principal for ``key``, or None for an unknown or revoked key."""
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
    if row is None or row.revoked_at is not None:
        return None
    moment = now or utcnow()
    if row.last_used_at is None or moment - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = moment
    return Principal(key_id=row.id, role=row.role, label=row.label)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, key_id: int, *, actor: str) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFoundError(f"API key {key_id} does not exist")
    if row.revoked_at is not None:
        raise ConflictError(f"API key {key_id} is already revoked")
    before = _state(row)
    row.revoked_at = utcnow()
    record_change(session, actor=actor, action="key.revoke", target=f"key:{row.id}", before=before, after=_state(row))
    return row
