"""The centre's reviewed calls as training rows for ``callscreen train --from-reviews``.

A reviewed call is one whose truth a person has said: a manager confirmed or overturned its verdict
(``review_label``: harassment or allow, whatever the screener said), or an agent confirmed it as harassment
(``confirmed_by``). The manager's review wins where both exist. Only calls that still have a transcript count
(transcripts are kept for flagged calls and purged after retention). Every transcript read here goes through
:func:`records.repository_calls.read_transcript`, so the audit log shows that training read it.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records.models import ScreenedCall
from records.repository_calls import read_transcript
from screening.verdict import Label

ACTOR = "callscreen train"
TRUTH = {Label.HARASSMENT: "harassment", Label.ALLOW: "legit"}  # a review never says "suspect"


def _truth(call: ScreenedCall) -> str | None:
    if call.review_label is not None:
        return TRUTH.get(call.review_label)
    return "harassment" if call.confirmed_by else None


def reviewed_rows(session: Session, *, limit: int = 100_000) -> list[tuple[str, str]]:
    """(transcript, harassment|legit) for every reviewed call with a transcript, newest first."""
    stmt = (
        select(ScreenedCall)
        .where(ScreenedCall.transcript.is_not(None),
               or_(ScreenedCall.review_label.is_not(None), ScreenedCall.confirmed_by.is_not(None)))
        .order_by(ScreenedCall.started_at.desc())
        .limit(limit)
    )  # fmt: skip
    rows: list[tuple[str, str]] = []
    for call in session.scalars(stmt):
        label = _truth(call)
        text = read_transcript(call, actor=ACTOR) if label is not None else None
        if label is not None and text:
            rows.append((text, label))
    return rows
