"""A manager's view of one call and what they decide about it.

The call's context — the number's other calls, incidents logged on the call, carrier-bill lines from the number,
list entries that match it — is what a manager reads before confirming or overturning the verdict or proposing
a block. A review is stored on the call itself (``review_outcome``, and ``review_label``: the right answer,
whatever the screener said); ``callscreen train --from-reviews`` reads those rows as the centre's own labelled
data, and every review is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from numbering import normalize
from records.audit import record_change
from records.errors import InvalidInputError
from records.lookup import lookup_number
from records.models import BillImport, BillLine, Incident, ReviewOutcome, ScreenedCall
from records.repository_calls import FLAGGED, get_call
from screening.numberlist import ListEntry, ListName
from screening.verdict import Label

HISTORY_LIMIT = 50
MAX_NOTE = 500


@dataclass(frozen=True, slots=True)
class BillMatch:
    bill_id: int
    filename: str
    called_at: datetime
    duration_s: int | None


@dataclass(frozen=True, slots=True)
class CallContext:
    history: list[ScreenedCall]  # the number's other calls, newest first
    incidents: list[Incident]
    bill_matches: list[BillMatch]
    entries: list[ListEntry]  # enforced entries matching the number, the deciding one first
    blocked: bool


def call_context(session: Session, call: ScreenedCall, *, now: datetime) -> CallContext:
    incidents = list(session.scalars(
        select(Incident).where(Incident.call_id.in_([call.call_id] + ([call.ref] if call.ref else [])))
        .order_by(Incident.occurred_at)
    ))  # fmt: skip
    if call.caller is None:
        return CallContext([], incidents, [], [], False)
    history = list(session.scalars(
        select(ScreenedCall).where(ScreenedCall.caller == call.caller, ScreenedCall.id != call.id)
        .order_by(ScreenedCall.started_at.desc(), ScreenedCall.id.desc()).limit(HISTORY_LIMIT)
    ))  # fmt: skip
    bills = [
        BillMatch(bill.id, bill.filename, line.called_at, line.duration_s)
        for line, bill in session.execute(
            select(BillLine, BillImport).join(BillImport, BillLine.import_id == BillImport.id)
            .where(BillLine.caller == call.caller).order_by(BillLine.called_at.desc()).limit(HISTORY_LIMIT)
        )
    ]  # fmt: skip
    facts = lookup_number(session, normalize(call.caller), now)
    return CallContext(history, incidents, bills, facts.matches, facts.decision is ListName.BLOCK)


def review_call(
    session: Session, call_pk: int, outcome: ReviewOutcome, *, actor: str, now: datetime, note: str = ""
) -> ScreenedCall:
    """Confirm or overturn a call's verdict. The stored ``review_label`` is the truth for training: a confirmed
    flagged call is harassment, a confirmed allowed call legitimate; an overturn flips that."""
    if len(note) > MAX_NOTE:
        raise InvalidInputError(f"a review note has at most {MAX_NOTE} characters")
    call = get_call(session, call_pk)
    flagged = call.label in FLAGGED
    harassment = flagged if outcome is ReviewOutcome.CONFIRMED else not flagged
    before = {"review_outcome": call.review_outcome.value if call.review_outcome else None,
              "review_label": call.review_label.value if call.review_label else None}  # fmt: skip
    call.review_outcome = outcome
    call.review_label = Label.HARASSMENT if harassment else Label.ALLOW
    call.reviewed_by, call.reviewed_at, call.review_note = actor, now, note.strip() or None
    after = {"review_outcome": outcome.value, "review_label": call.review_label.value, "verdict": call.label.value,
             "note": call.review_note}  # fmt: skip
    record_change(session, actor=actor, action=f"call.review.{outcome.value}", target=f"call:{call.id}",
                  before=before, after=after)  # fmt: skip
    return call
