"""The graduated response per source (the "ladder") and the automatic block entries it proposes.

The handbook escalates step by step. Each harassment verdict from a number within ``window`` is one offence, and
the n-th offence takes the n-th step of the ladder (the last step repeats). The default ladder:

1. a recorded-call notice ("本次通话已录音，恶意骚扰将依法处理") before the analysis queue;
2. the analysis queue and a *proposed* block that expires after 7 days;
3. and further: a longer proposal (90 days) and an entry in the report for the carrier.

The offences are counted in the shared database, so every node of one installation climbs the same ladder. The
flow asks :func:`ladder_step` *before* deterring (to play the notice); the recorder stores the step with the call
and :func:`apply_policy` carries out its block and writes the step to the audit log in the same transaction.

Independently, an agent's confirmation proposes a block at once (``expires_after``). Managers approve, edit or
lift proposals; ``auto_approve`` makes ladder blocks active at once, and ``auto_activate_at`` activates any number
with that much evidence. A lifted entry stays lifted: a manager decided, and new evidence shows up in the review
queue's call counts rather than silently overruling them — but a *proposal* is lengthened by a later, longer step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from records.audit import SYSTEM_ACTOR, record_change
from records.base import utcnow
from records.lists import EntryDraft, create_entry, find_entry, update_entry
from records.models import NumberEntry, ScreenedCall
from screening.numberlist import EntrySource, EntryStatus, ListName, MatchKind
from screening.verdict import Label

AUTO_ACTOR = f"{SYSTEM_ACTOR}:auto"
LADDER_ACTION = "ladder.step"


@dataclass(frozen=True, slots=True)
class LadderStep:
    """What one offence costs the source."""

    notice: bool = False  # the recorded-call notice plays before the analysis queue
    block_days: int | None = None  # propose a block for the number, expiring after this many days
    carrier_report: bool = False  # the number goes into the report for the carrier

    def describe(self) -> dict[str, object]:
        return {"notice": self.notice, "block_days": self.block_days, "carrier_report": self.carrier_report}


DEFAULT_LADDER: tuple[LadderStep, ...] = (
    LadderStep(notice=True),
    LadderStep(block_days=7),
    LadderStep(block_days=90, carrier_report=True),
)


@dataclass(frozen=True, slots=True)
class AutoEntryPolicy:
    ladder: tuple[LadderStep, ...] = field(default=DEFAULT_LADDER)
    window: timedelta = timedelta(days=30)
    auto_approve: bool = False  # ladder blocks become active at once instead of waiting for a manager
    auto_activate_at: int | None = None  # None: only auto_approve skips the manager
    expires_after: timedelta | None = timedelta(days=180)  # blocks proposed by an agent's confirmation

    def step(self, number: int) -> LadderStep:
        """The step the ``number``-th offence (1-based) takes; beyond the ladder, its last step."""
        if not self.ladder:
            return LadderStep()
        return self.ladder[min(max(number, 1), len(self.ladder)) - 1]


def evidence_condition(caller: str | BindParameter[Any], since: datetime | BindParameter[Any]) -> ColumnElement[bool]:
    """Calls from ``caller`` since ``since`` that were judged harassment or confirmed by an agent (values, or
    bound parameters of a statement built once)."""
    return and_(
        ScreenedCall.caller == caller,
        ScreenedCall.started_at >= since,
        or_(ScreenedCall.label == Label.HARASSMENT, ScreenedCall.confirmed_by.is_not(None)),
    )


def evidence_count(session: Session, caller: str, since: datetime) -> int:
    """How many calls :func:`evidence_condition` counts."""
    return session.scalar(select(func.count()).where(evidence_condition(caller, since))) or 0


def ladder_step(session: Session, policy: AutoEntryPolicy, caller: str | None, *, now: datetime) -> int:
    """The step number a harassment verdict for ``caller`` *now* takes: earlier offences in the window, plus one.

    An anonymous caller cannot be counted as a source: always the first step (the notice, no block)."""
    if caller is None:
        return 1
    return offence_count(session, caller, now - policy.window) + 1


def offence_count(session: Session, caller: str, since: datetime) -> int:
    stmt = select(func.count()).where(
        ScreenedCall.caller == caller, ScreenedCall.started_at >= since, ScreenedCall.label == Label.HARASSMENT
    )
    return session.scalar(stmt) or 0


def _propose(
    session: Session, caller: str, *, reason: str, source: EntrySource, actor: str, activate: bool,
    expires_at: datetime | None,
) -> NumberEntry:
    existing = find_entry(session, ListName.BLOCK, MatchKind.EXACT, caller)
    if existing is None:
        draft = EntryDraft(list=ListName.BLOCK, kind=MatchKind.EXACT, value=caller, reason=reason, source=source,
                           status=EntryStatus.ACTIVE if activate else EntryStatus.PROPOSED, expires_at=expires_at)
        return create_entry(session, draft, actor=actor)
    changes: dict[str, object] = {}
    if existing.status is EntryStatus.PROPOSED:
        if activate:
            changes["status"] = EntryStatus.ACTIVE
        current = existing.expires_at
        if expires_at is not None and current is not None and expires_at > current:
            changes["expires_at"], changes["reason"] = expires_at, reason  # a longer proposal for a worse offender
    return update_entry(session, existing.id, changes, actor=actor) if changes else existing


def apply_ladder(session: Session, policy: AutoEntryPolicy, row: ScreenedCall, *, now: datetime) -> None:
    """Carry out the step stored with a harassment call, and write it to the audit log (same transaction).

    ``now`` is the call's time (the evidence window); a block's expiry counts from when it is written."""
    if row.label is not Label.HARASSMENT or row.ladder_step is None:
        return
    step = policy.step(row.ladder_step)
    record_change(session, actor=AUTO_ACTOR, action=LADDER_ACTION, target=f"call:{row.id}",
                  after={"step": row.ladder_step, "caller_hash": row.caller_hash, **step.describe()})
    if row.caller is None or step.block_days is None:
        return
    activate = policy.auto_approve or (
        policy.auto_activate_at is not None
        and evidence_count(session, row.caller, now - policy.window) >= policy.auto_activate_at
    )
    _propose(session, row.caller, reason=f"step {row.ladder_step} of the graduated response: harassment offence "
             f"{row.ladder_step} in {policy.window.days} days", source=EntrySource.AUTO, actor=AUTO_ACTOR,
             activate=activate, expires_at=utcnow() + timedelta(days=step.block_days))


def apply_policy(
    session: Session, policy: AutoEntryPolicy, caller: str | None, *, now: datetime, confirmed_by: str | None
) -> NumberEntry | None:
    """An agent's confirmation (or enough evidence for ``auto_activate_at``): propose or activate a block."""
    if caller is None:
        return None
    evidence = evidence_count(session, caller, now - policy.window)
    activate = policy.auto_activate_at is not None and evidence >= policy.auto_activate_at
    if confirmed_by is None and not activate:
        existing = find_entry(session, ListName.BLOCK, MatchKind.EXACT, caller)
        return existing
    reason = (f"confirmed as harassment by {confirmed_by}; {evidence} flagged call(s) in {policy.window.days} days"
              if confirmed_by is not None else f"{evidence} harassment verdicts in {policy.window.days} days")
    return _propose(session, caller, reason=reason, source=EntrySource.AGENT if confirmed_by else EntrySource.AUTO,
                    actor=confirmed_by or AUTO_ACTOR, activate=activate,
                    expires_at=utcnow() + policy.expires_after if policy.expires_after is not None else None)
