"""Retention (PIPL minimisation): personal data is kept only as long as its purpose needs it.

What :func:`purge` does, each with its own period (``privacy.*`` settings, :class:`PrivacyRules`):

* transcripts of flagged calls are cleared after ``retention_days`` (call rows stay: reports and evidence need
  them); the raw arrival history goes at the same age;
* the numbers of callers who were never flagged are replaced by their salted hash after ``unflagged_days``
  (default 30): the call row keeps ``caller_hash`` and loses ``caller``, bill lines carry ``#<hash>`` instead of
  the number, raw arrivals are deleted. Counts and reports keep working — they count rows, and harassment
  figures only ever concern flagged sources, whose numbers stay;
* a source is *flagged* while any of its calls is stored with a non-``allow`` verdict or an agent's confirmation,
  an incident names one of its calls, or a list entry names its number exactly. Flagged sources keep their
  evidence under their own period, ``evidence_days`` (default 730), after which their numbers are hashed too;
* carrier bills are deleted after ``bill_days`` (default 90) — except flagged sources' lines, kept as evidence;
* shadow-mode inputs (``records.shadow``) are deleted after ``shadow_days`` (default 7).

``now`` is always passed in (no wall clock below the entry points). ``PeriodicPurge`` runs the purge in a
background thread, once at start and then every ``interval_s``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Select, delete, exists, or_, select, union, update
from sqlalchemy.orm import Session

from numbering import caller_hash
from records.audit import SYSTEM_ACTOR, record_change
from records.base import utcnow
from records.database import Database
from records.models import BillImport, BillLine, CallArrival, Incident, NumberEntry, ScreenedCall, ShadowInput
from records.periodic import PeriodicJob
from screening.numberlist import MatchKind
from screening.verdict import Label

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 6 * 3600.0
HASHED_PREFIX = "#"  # a pseudonymised number in bill lines: "#" + the caller hash
BATCH = 1000


@dataclass(frozen=True, slots=True)
class PrivacyRules:
    """Retention periods beyond the transcripts' own ``retention_days``."""

    unflagged_days: int = 30
    evidence_days: int = 730
    bill_days: int = 90
    shadow_days: int = 7

    def __post_init__(self) -> None:
        for name in ("unflagged_days", "evidence_days", "bill_days", "shadow_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.evidence_days < self.unflagged_days:
            raise ValueError("evidence_days must not be shorter than unflagged_days")


@dataclass(frozen=True, slots=True)
class PurgeResult:
    transcripts: int
    arrivals: int
    numbers_hashed: int = 0  # call rows whose number was replaced by its hash
    bill_lines_hashed: int = 0
    bill_lines_deleted: int = 0
    bills_deleted: int = 0
    shadow_inputs: int = 0

    def summary(self) -> str:
        return (f"{self.transcripts} transcript(s), {self.arrivals} arrival row(s), {self.numbers_hashed} caller "
                f"number(s) hashed, {self.bill_lines_hashed} bill line(s) hashed, {self.bill_lines_deleted} bill "
                f"line(s) and {self.bills_deleted} bill(s) deleted, {self.shadow_inputs} shadow input(s)")  # fmt: skip


def flagged_sources() -> Select[Any]:
    """Numbers whose evidence is kept under ``evidence_days`` (see the module docstring)."""
    flagged_calls = select(ScreenedCall.caller).where(
        ScreenedCall.caller.is_not(None),
        or_(
            ScreenedCall.label != Label.ALLOW,
            ScreenedCall.confirmed_by.is_not(None),
            # IN, not a correlated EXISTS: the incidents are read once, not once per call row
            ScreenedCall.call_id.in_(select(Incident.call_id).where(Incident.call_id.is_not(None))),
        ),
    )
    listed = select(NumberEntry.value).where(NumberEntry.kind == MatchKind.EXACT)
    return select(union(flagged_calls, listed).subquery().c[0])


def _count(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount or 0


def _hash_bill_lines(session: Session, condition: Any, salt: bytes) -> int:
    hashed = 0
    while True:
        rows = session.execute(
            select(BillLine.id, BillLine.caller).where(condition, ~BillLine.caller.startswith(HASHED_PREFIX))
            .limit(BATCH)
        ).all()  # fmt: skip
        for line_id, number in rows:
            pseudonym = HASHED_PREFIX + (caller_hash(number, salt) or "")
            session.execute(update(BillLine).where(BillLine.id == line_id).values(caller=pseudonym,
                                                                                   caller_raw=pseudonym))  # fmt: skip
        hashed += len(rows)
        if len(rows) < BATCH:
            return hashed


def purge(
    session: Session, *, now: datetime, retention_days: int, salt: bytes, rules: PrivacyRules | None = None
) -> PurgeResult:
    if retention_days < 1:
        raise ValueError(f"retention_days must be at least 1, got {retention_days}")
    rules = rules or PrivacyRules()
    cutoff = now - timedelta(days=retention_days)
    unflagged_cutoff = now - timedelta(days=rules.unflagged_days)
    evidence_cutoff = now - timedelta(days=rules.evidence_days)
    bill_cutoff = now - timedelta(days=rules.bill_days)
    flagged = flagged_sources()
    # Bills first: a bill line's fate depends on its source being flagged, which the call rows below decide.
    old_line = BillLine.called_at < bill_cutoff
    bill_lines_deleted = _count(session.execute(delete(BillLine).where(
        old_line, or_(BillLine.caller.is_(None), BillLine.caller.startswith(HASHED_PREFIX),
                      BillLine.caller.not_in(flagged), BillLine.called_at < evidence_cutoff)
    )))  # fmt: skip
    stale = or_((BillLine.called_at < unflagged_cutoff) & BillLine.caller.not_in(flagged),
                BillLine.called_at < evidence_cutoff)  # fmt: skip
    bill_lines_hashed = _hash_bill_lines(session, stale, salt)
    emptied = ~exists().where(BillLine.import_id == BillImport.id)
    bills_deleted = _count(session.execute(delete(BillImport).where(emptied)))
    cleared = session.execute(
        update(ScreenedCall)
        .where(ScreenedCall.started_at < cutoff, ScreenedCall.transcript.is_not(None))
        .values(transcript=None)
    )
    hashed = session.execute(
        update(ScreenedCall)
        .where(
            ScreenedCall.caller.is_not(None),
            or_(
                (ScreenedCall.started_at < unflagged_cutoff) & ScreenedCall.caller.not_in(flagged),
                ScreenedCall.started_at < evidence_cutoff,
            ),
        )
        .values(caller=None)
        .execution_options(synchronize_session=False)
    )
    deleted = session.execute(delete(CallArrival).where(
        or_(CallArrival.at < cutoff, (CallArrival.at < unflagged_cutoff) & CallArrival.caller.not_in(flagged))
    ))  # fmt: skip
    shadow = session.execute(delete(ShadowInput).where(ShadowInput.at < now - timedelta(days=rules.shadow_days)))
    result = PurgeResult(
        transcripts=_count(cleared),
        arrivals=_count(deleted),
        numbers_hashed=_count(hashed),
        bill_lines_hashed=bill_lines_hashed,
        bill_lines_deleted=bill_lines_deleted,
        bills_deleted=bills_deleted,
        shadow_inputs=_count(shadow),
    )
    if any(asdict(result).values()):  # what retention removed is a change like any other: audited, in counts
        record_change(session, actor=SYSTEM_ACTOR, action="retention.purge", target="retention",
                      after={**asdict(result), "now": now.isoformat()})  # fmt: skip
    return result


class PeriodicPurge:
    def __init__(
        self,
        db: Database,
        *,
        retention_days: int,
        salt: bytes,
        rules: PrivacyRules | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
    ) -> None:
        self._db = db
        self._retention_days = retention_days
        self._salt = salt
        self._rules = rules or PrivacyRules()
        self._job = PeriodicJob("retention-purge", self.run_once, interval_s=interval_s, run_first=True)

    def run_once(self) -> PurgeResult:
        with self._db.session() as session:
            result = purge(session, now=utcnow(), retention_days=self._retention_days, salt=self._salt,
                           rules=self._rules)  # fmt: skip
        log.info("retention purge: %s", result.summary())
        return result

    def start(self) -> None:
        self._job.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._job.stop(timeout_s)
