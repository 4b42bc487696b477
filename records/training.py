"""The centre's reviewed calls as training rows for ``callscreen train --from-reviews``.

A reviewed call is one whose truth a person has said: an agent confirmed it as harassment (``confirmed_by``), or a
manager approved or overturned its verdict (the review columns, when the schema has them). Only calls that still
have a transcript count (transcripts are kept for flagged calls and purged after retention). Every transcript read
here goes through :func:`records.repository_calls.read_transcript`, so the audit log shows that training read it.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records.models import ScreenedCall
from records.repository_calls import read_transcript

ACTOR = "callscreen train"


def _truth(call: ScreenedCall) -> str | None:
    reviewed = getattr(call, "review_label", None)  # manager review (approved or overturned), when recorded
    if reviewed in ("harassment", "legit"):
        return str(reviewed)
    return "harassment" if call.confirmed_by else None


def reviewed_rows(session: Session, *, limit: int = 100_000) -> list[tuple[str, str]]:
    """(transcript, label) for every reviewed call with a transcript, newest first."""
    review_label = getattr(ScreenedCall, "review_label", None)
    reviewed = [ScreenedCall.confirmed_by.is_not(None)]
    if review_label is not None:
        reviewed.append(review_label.is_not(None))
    stmt = (
        select(ScreenedCall)
        .where(ScreenedCall.transcript.is_not(None), or_(*reviewed))
        .order_by(ScreenedCall.started_at.desc())
        .limit(limit)
    )
    rows: list[tuple[str, str]] = []
    for call in session.scalars(stmt):
        label = _truth(call)
        text = read_transcript(call, actor=ACTOR) if label is not None else None
        if label is not None and text:
            rows.append((text, label))
    return rows
