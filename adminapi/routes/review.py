"""``/review``: the queue of proposed blocks; managers approve or lift."""

from __future__ import annotations

from fastapi import APIRouter

from adminapi.deps import ConfigDep, ManagerUser, SessionDep
from adminapi.schemas.common import EntityId, Limit, Offset
from adminapi.schemas.entries import EntryPublic, ReviewDecision, ReviewItem, ReviewList
from records.review import decide, review_queue
from screening.numberlist import EntryStatus

router = APIRouter(prefix="/review", tags=["review"])


@router.get("", response_model=ReviewList)
def queue(
    config: ConfigDep, session: SessionDep, _user: ManagerUser, limit: Limit = 100, offset: Offset = 0
) -> ReviewList:
    items, count = review_queue(session, now=config.clock(), window=config.policy.window, limit=limit, offset=offset)
    data = [
        ReviewItem(
            **EntryPublic.model_validate(i.entry).model_dump(),
            flagged_calls=i.flagged_calls,
            last_call_at=i.last_call_at,
        )
        for i in items
    ]
    return ReviewList(data=data, count=count)


def _decide(
    session: SessionDep, user: ManagerUser, entry_id: int, status: EntryStatus, body: ReviewDecision | None
) -> EntryPublic:
    decision = body or ReviewDecision()
    entry = decide(session, entry_id, status, actor=user.actor, reason=decision.reason, expires_at=decision.expires_at)
    return EntryPublic.model_validate(entry)


@router.post("/{entry_id}/approve", response_model=EntryPublic)
def approve(
    session: SessionDep, user: ManagerUser, entry_id: EntityId, body: ReviewDecision | None = None
) -> EntryPublic:
    """Make the entry active: the number is blocked (or allowed) on the next call."""
    return _decide(session, user, entry_id, EntryStatus.ACTIVE, body)


@router.post("/{entry_id}/lift", response_model=EntryPublic)
def lift(session: SessionDep, user: ManagerUser, entry_id: EntityId, body: ReviewDecision | None = None) -> EntryPublic:
    """Stop enforcing the entry; it stays on record, lifted."""
    return _decide(session, user, entry_id, EntryStatus.LIFTED, body)
