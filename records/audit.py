"""The audit log: who changed what, with the state before and after, for lists, keys and settings.

Written in the same transaction as the change it describes, so a change without its audit entry cannot exist.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.models import AuditEntry

SYSTEM_ACTOR = "system"


def _dump(state: Mapping[str, Any] | None) -> str | None:
    return None if state is None else json.dumps(state, ensure_ascii=False, sort_keys=True, default=str)


def record_change(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(actor=actor, action=action, target=target, before=_dump(before), after=_dump(after))
    session.add(entry)
    return entry


def list_audit(
    session: Session, *, limit: int, offset: int = 0, actor: str | None = None, action: str | None = None
) -> tuple[list[AuditEntry], int]:
    stmt = select(AuditEntry)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), count
