"""Call history across all nodes, read from the shared database (repeat-caller and prefix-burst signals).

``note_call`` writes an arrival row at pre-screen time, so a caller who rings three nodes in a minute counts
three times even before any of those calls has ended and been recorded. Counting errors come out as
:class:`~records.errors.StorageError` (the screener fails open on them); ``note_call`` logs and
swallows its own errors, because a missing history row must never cost a call.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from records.database import Database
from records.errors import StorageError
from records.models import CallArrival, ScreenedCall
from records.repository_calls import AGENT_PREFIX

log = logging.getLogger(__name__)


class SqlCallHistory:
    def __init__(self, db: Database) -> None:
        self._db = db

    def count_from(self, normalized: str, since: datetime) -> int:
        stmt = select(func.count()).where(CallArrival.caller == normalized, CallArrival.at >= since)
        with self._db.session() as session:
            return session.scalar(stmt) or 0

    def count_prefix(self, prefix: str, since: datetime) -> int:
        stmt = select(func.count()).where(
            CallArrival.caller.startswith(prefix, autoescape=True), CallArrival.at >= since
        )
        with self._db.session() as session:
            return session.scalar(stmt) or 0

    def agent_confirmations(self, normalized: str, since: datetime) -> int:
        stmt = select(func.count()).where(
            ScreenedCall.caller == normalized,
            ScreenedCall.started_at >= since,
            ScreenedCall.confirmed_by.startswith(AGENT_PREFIX),
        )
        with self._db.session() as session:
            return session.scalar(stmt) or 0

    def note_call(self, normalized: str | None, at: datetime) -> None:
        try:
            with self._db.session() as session:
                session.add(CallArrival(caller=normalized, at=at))
        except StorageError as exc:
            log.warning("call history not written: %s", exc)
