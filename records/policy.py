"""The policy for automatic block entries (SPEC: records, review and reporting).

A number becomes a *proposed* block when an agent confirms one of its calls, or when it collects
``repeat_harassment`` harassment verdicts within ``window``. Managers approve, edit or lift proposals. With
``auto_activate_at`` set, a number with that much evidence (harassment verdicts + confirmations) is activated
without waiting. A lifted entry stays lifted: a manager decided, and new evidence shows up in the review queue's
call counts rather than silently overruling them. Automatic entries expire after ``expires_after``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from records.audit import SYSTEM_ACTOR
from records.base import utcnow
from records.lists import EntryDraft, create_entry, find_entry, update_entry
from records.models import NumberEntry, ScreenedCall
from screening.numberlist import EntrySource, EntryStatus, ListName, MatchKind
from screening.verdict import Label

AUTO_ACTOR = f"{SYSTEM_ACTOR}:auto"


@dataclass(frozen=True, slots=True)
class AutoEntryPolicy:
    repeat_harassment: int = 3
    window: timedelta = timedelta(days=30)
    auto_activate_at: int | None = None  # None: proposals always wait for a manager
    expires_after: timedelta | None = timedelta(days=180)


def evidence_count(session: Session, caller: str, since: datetime) -> int:
    """Calls from ``caller`` since ``since`` that were judged harassment or confirmed by an agent."""
    stmt = select(func.count()).where(
        ScreenedCall.caller == caller,
        ScreenedCall.started_at >= since,
        or_(ScreenedCall.label == Label.HARASSMENT, ScreenedCall.confirmed_by.is_not(None)),
    )
    return session.scalar(stmt) or 0


def apply_policy(
    session: Session, policy: AutoEntryPolicy, caller: str | None, *, now: datetime, confirmed_by: str | None
) -> NumberEntry | None:
    """Propose (or auto-activate) a block for ``caller`` if the evidence warrants it; the entry, else None."""
    if caller is None:
        return None
    evidence = evidence_count(session, caller, now - policy.window)
    activate = policy.auto_activate_at is not None and evidence >= policy.auto_activate_at
    if confirmed_by is None and evidence < policy.repeat_harassment and not activate:
        return None
    existing = find_entry(session, ListName.BLOCK, MatchKind.EXACT, caller)
    if existing is not None:
        if existing.status is EntryStatus.PROPOSED and activate:
            return update_entry(session, existing.id, {"status": EntryStatus.ACTIVE}, actor=AUTO_ACTOR)
        return existing
    if confirmed_by is not None:
        reason = f"confirmed as harassment by {confirmed_by}; {evidence} flagged call(s) in {policy.window.days} days"
    else:
        reason = f"{evidence} harassment verdicts in {policy.window.days} days"
    draft = EntryDraft(
        list=ListName.BLOCK,
        kind=MatchKind.EXACT,
        value=caller,
        reason=reason,
        source=EntrySource.AGENT if confirmed_by is not None else EntrySource.AUTO,
        status=EntryStatus.ACTIVE if activate else EntryStatus.PROPOSED,
        expires_at=utcnow() + policy.expires_after if policy.expires_after is not None else None,
    )
    return create_entry(session, draft, actor=confirmed_by or AUTO_ACTOR)
