"""Screened calls: writing a :class:`CallRecord`, querying calls, and agent confirmation of a call.

Transcripts are kept only for flagged calls (suspect, harassment, or agent-confirmed) — everything else is stored
without one — and are purged after the retention period (``retention.purge``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, object_session

from numbering import caller_hash
from records.audit import record_change
from records.errors import ConflictError, NotFoundError
from records.models import ScreenedCall
from screening.interfaces import CallRecord, Route
from screening.verdict import Label, Verdict

AGENT_PREFIX = "agent:"
FLAGGED = frozenset({Label.SUSPECT, Label.HARASSMENT})
MAX_TRANSCRIPT_CHARS = 2000


def reasons_json(verdict: Verdict) -> str:
    return json.dumps([asdict(r) for r in verdict.reasons], ensure_ascii=False)


def insert_call(session: Session, record: CallRecord, *, salt: bytes) -> ScreenedCall:
    flagged = record.verdict.label in FLAGGED or record.confirmed_by is not None
    row = ScreenedCall(
        call_id=record.call_id,
        node=record.node,
        started_at=record.started_at,
        ended_at=record.ended_at,
        caller=record.caller.normalized,
        caller_hash=caller_hash(record.caller.normalized, salt),
        caller_kind=record.caller.kind.value,
        route=record.route,
        label=record.verdict.label,
        score=record.verdict.score,
        reasons=reasons_json(record.verdict),
        transcript=record.transcript[:MAX_TRANSCRIPT_CHARS] if flagged and record.transcript else None,
        confirmed_by=record.confirmed_by,
        end_reason=record.end_reason,
        called_user=record.called_user,
        ref=record.ref,
        hotline=record.hotline,
        ladder_step=record.ladder_step,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class CallFilter:
    label: Label | None = None
    route: Route | None = None
    caller: str | None = None  # normalised
    since: datetime | None = None
    until: datetime | None = None
    confirmed: bool | None = None
    hotline: str | None = None
    before: tuple[datetime, int] | None = None  # keyset paging: calls older than (started_at, id)


def query_calls(
    session: Session, flt: CallFilter, *, limit: int, offset: int = 0
) -> tuple[list[ScreenedCall], int | None]:
    stmt = select(ScreenedCall)
    if flt.label is not None:
        stmt = stmt.where(ScreenedCall.label == flt.label)
    if flt.route is not None:
        stmt = stmt.where(ScreenedCall.route == flt.route)
    if flt.caller is not None:
        stmt = stmt.where(ScreenedCall.caller == flt.caller)
    if flt.hotline is not None:
        stmt = stmt.where(ScreenedCall.hotline == flt.hotline)
    if flt.since is not None:
        stmt = stmt.where(ScreenedCall.started_at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(ScreenedCall.started_at < flt.until)
    if flt.confirmed is not None:
        confirmed = ScreenedCall.confirmed_by.is_not(None)
        stmt = stmt.where(confirmed if flt.confirmed else ~confirmed)
    count: int | None = None  # counted on the first page only: a keyset page keeps it (counting costs)
    if flt.before is None:
        counted = stmt.with_only_columns(ScreenedCall.id).subquery()
        count = session.scalar(select(func.count()).select_from(counted)) or 0
    if flt.before is not None:
        at, pk = flt.before
        stmt = stmt.where(
            or_(ScreenedCall.started_at < at, and_(ScreenedCall.started_at == at, ScreenedCall.id < pk))
        )
    rows = session.scalars(
        stmt.order_by(ScreenedCall.started_at.desc(), ScreenedCall.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), count


def get_call(session: Session, call_pk: int) -> ScreenedCall:
    row = session.get(ScreenedCall, call_pk)
    if row is None:
        raise NotFoundError(f"call {call_pk} does not exist")
    return row


def find_call(session: Session, *, ref: str | None = None, sip_call_id: str | None = None) -> ScreenedCall:
    """The call an agent knows by its callscreen reference or by the SIP Call-ID of the screened leg."""
    stmt = select(ScreenedCall)
    if ref is not None:
        stmt = stmt.where(ScreenedCall.ref == ref)
    elif sip_call_id is not None:
        stmt = stmt.where(ScreenedCall.call_id == sip_call_id)
    else:
        raise ValueError("find_call needs ref or sip_call_id")
    row = session.scalars(stmt.order_by(ScreenedCall.id.desc()).limit(1)).first()
    if row is None:
        raise NotFoundError(f"no call with {'reference ' + ref if ref is not None else 'Call-ID ' + str(sip_call_id)}")
    return row


def confirm_call(session: Session, call_pk: int, *, agent: str) -> ScreenedCall:
    """An agent confirms a recorded call as harassment (the strongest evidence)."""
    row = get_call(session, call_pk)
    if row.confirmed_by is not None:
        raise ConflictError(f"call {call_pk} was already confirmed by {row.confirmed_by}")
    row.confirmed_by = f"{AGENT_PREFIX}{agent}"
    return row


def read_transcript(call: ScreenedCall, *, actor: str) -> str | None:
    """A call's transcript for a person to read; the read is written to the audit log (PIPL: who saw what).

    The one place the API's call view, evidence view and any future page read a transcript through, so no read
    goes untraced. Nothing is logged when there is no transcript (never stored, or purged).
    """
    if call.transcript is None:
        return None
    session = object_session(call)
    if session is None:
        raise ValueError("read_transcript needs a call loaded in a session (the audit entry goes into it)")
    record_change(session, actor=actor, action="transcript.read", target=f"call:{call.id}")
    return call.transcript
