from __future__ import annotations

import pytest
from sqlalchemy import select

from records import ConflictError, Database, Role
from records.keys import authenticate, create_key, list_keys, revoke_key
from records.models import ApiKey, AuditEntry


def test_keys_are_stored_hashed_and_revocable(database: Database) -> None:
    with database.session() as s:
        row, secret = create_key(s, Role.MANAGER, label="ops", actor="cli:root")
        key_id = row.id
    with database.session() as s:
        stored = s.scalars(select(ApiKey)).one()
        assert secret not in (stored.key_hash, stored.prefix) and secret.startswith(stored.prefix)
        principal = authenticate(s, secret)
        assert principal is not None and principal.role is Role.MANAGER and principal.actor == f"key:{key_id} ops"
        assert principal.allows(Role.AGENT) and not principal.allows(Role.ADMIN)
        assert authenticate(s, secret + "x") is None
    with database.session() as s:
        assert list_keys(s)[0].last_used_at is not None
        revoke_key(s, key_id, actor="cli:root")
    with database.session() as s:
        assert authenticate(s, secret) is None
        with pytest.raises(ConflictError):
            revoke_key(s, key_id, actor="cli:root")
        assert [a.action for a in s.scalars(select(AuditEntry))] == ["key.create", "key.revoke"]


def test_public_names() -> None:
    import records as records

    assert sorted(records.__all__) == sorted(n for n in dir(records) if not n.startswith("_") and n[0].isupper())
