"""The review queue: proposed block entries with the evidence behind them, approved or lifted by managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.errors import ConflictError
from records.lists import get_entry, update_entry
from records.models import NumberEntry, ScreenedCall
from records.policy import evidence_count
from screening.numberlist import EntryStatus, MatchKind


@dataclass(frozen=True, slots=True)
class ReviewItem:
    entry: NumberEntry
    flagged_calls: int
    last_call_at: datetime | None


def review_queue(
    session: Session, *, now: datetime, window: timedelta, limit: int, offset: int = 0
) -> tuple[list[ReviewItem], int]:
    stmt = select(NumberEntry).where(NumberEntry.status == EntryStatus.PROPOSED)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = []
    for entry in session.scalars(
        stmt.order_by(NumberEntry.created_at.desc(), NumberEntry.id.desc()).limit(limit).offset(offset)
    ):
        exact = entry.kind is MatchKind.EXACT
        flagged = evidence_count(session, entry.value, now - window) if exact else 0
        last = (
            session.scalar(select(func.max(ScreenedCall.started_at)).where(ScreenedCall.caller == entry.value))
            if exact
            else None
        )
        items.append(ReviewItem(entry, flagged, last))
    return items, count


def decide(
    session: Session,
    entry_id: int,
    status: EntryStatus,
    *,
    actor: str,
    reason: str | None = None,
    expires_at: datetime | None = None,
) -> NumberEntry:
    """Approve (``ACTIVE``) or lift (``LIFTED``) an entry, optionally with a new reason and expiry."""
    entry = get_entry(session, entry_id)
    if entry.status is status:
        raise ConflictError(f"entry {entry_id} is already {status.value}")
    changes: dict[str, Any] = {"status": status}
    if reason is not None:
        changes["reason"] = reason
    if expires_at is not None:
        changes["expires_at"] = expires_at
    return update_entry(session, entry_id, changes, actor=actor)
