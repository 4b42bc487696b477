"""Retention: transcripts and the raw arrival history are personal data and are kept only ``retention_days``.

Call rows themselves stay (reports and evidence need them) but lose their transcript. ``PeriodicPurge`` runs the
purge in a background thread, once at start and then every ``interval_s``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.orm import Session

from records.base import utcnow
from records.database import Database
from records.models import CallArrival, ScreenedCall
from records.periodic import PeriodicJob

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class PurgeResult:
    transcripts: int
    arrivals: int


def purge(session: Session, *, now: datetime, retention_days: int) -> PurgeResult:
    if retention_days < 1:
        raise ValueError(f"retention_days must be at least 1, got {retention_days}")
    cutoff = now - timedelta(days=retention_days)
    cleared = session.execute(
        update(ScreenedCall)
        .where(ScreenedCall.started_at < cutoff, ScreenedCall.transcript.is_not(None))
        .values(transcript=None)
    )
    deleted = session.execute(delete(CallArrival).where(CallArrival.at < cutoff))
    assert isinstance(cleared, CursorResult) and isinstance(deleted, CursorResult)
    return PurgeResult(transcripts=cleared.rowcount or 0, arrivals=deleted.rowcount or 0)


class PeriodicPurge:
    def __init__(self, db: Database, *, retention_days: int, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self._db = db
        self._retention_days = retention_days
        self._job = PeriodicJob("retention-purge", self.run_once, interval_s=interval_s, run_first=True)

    def run_once(self) -> PurgeResult:
        with self._db.session() as session:
            result = purge(session, now=utcnow(), retention_days=self._retention_days)
        log.info("retention purge: %d transcript(s), %d arrival row(s)", result.transcripts, result.arrivals)
        return result

    def start(self) -> None:
        self._job.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._job.stop(timeout_s)
