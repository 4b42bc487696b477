"""The durable call recorder: a record is written to the database, or spooled to disk and replayed later.

``record()`` never raises into the call flow. When the database write fails, the record is appended to a JSON
lines spool file; the next successful write (or an explicit ``flush_spool()``) replays it. Damaged spool lines
are moved to ``spool.rejected`` rather than dropped, so nothing is lost silently. The automatic-entry policy
runs in the same transaction as the call row it is based on. A replay skips records already in the database: a
crash (``kill -9``) between writing them and rewriting the spool leaves them in both.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from numbering import mask
from records.database import Database
from records.errors import DuplicateRowError, StorageError
from records.models import ScreenedCall
from records.policy import AutoEntryPolicy, apply_ladder, apply_policy, ladder_step
from records.record_codec import record_from_json, record_to_json
from records.repository_calls import insert_call
from records.shadow_capture import ShadowCapture, store_input
from screening.interfaces import CallRecord
from screening.verdict import Label

log = logging.getLogger(__name__)

SPOOL_NAME = "calls.spool.jsonl"
REJECTED_NAME = "calls.spool.rejected"


def _already_stored(session: Session, record: CallRecord) -> bool:
    stmt = select(ScreenedCall.id).where(ScreenedCall.call_id == record.call_id, ScreenedCall.node == record.node)
    return session.scalar(stmt.limit(1)) is not None


class SqlCallRecorder:
    def __init__(
        self, db: Database, *, spool_dir: Path, salt: bytes, policy: AutoEntryPolicy | None = None,
        on_error: Callable[[str], None] | None = None, shadow: ShadowCapture | None = None,
    ) -> None:
        self._shadow = shadow  # None: screening inputs are not kept (shadow mode off)
        self._on_error = on_error
        self._db = db
        self._salt = salt
        self._policy = policy or AutoEntryPolicy()
        self._spool_dir = spool_dir
        self._spool = spool_dir / SPOOL_NAME
        self._lock = threading.Lock()

    @property
    def spool_path(self) -> Path:
        return self._spool

    def _write(self, record: CallRecord, *, replay: bool = False) -> None:
        with self._db.session() as session:
            if replay and _already_stored(session, record):
                return  # written by a replay that was killed before it could rewrite the spool
            if record.verdict.label is Label.HARASSMENT and record.ladder_step is None:
                # the flow did not ask (blocklisted, no ladder wired): the step is this call's place in the count
                step = ladder_step(session, self._policy, record.caller.normalized, now=record.started_at)
                record = replace(record, ladder_step=step)
            row = insert_call(session, record, salt=self._salt)
            if self._shadow is not None:
                store_input(session, record, self._shadow)
            apply_ladder(session, self._policy, row, now=record.started_at)
            # the evidence window ends at the call, as the ladder's does: a spooled record replayed later, or a record
            # written for an old call, counts the offences of its own time, not of the wall clock
            apply_policy(session, self._policy, row.caller, now=record.started_at, confirmed_by=record.confirmed_by)

    def record(self, record: CallRecord) -> None:
        try:
            self._write(record)
        except DuplicateRowError:  # this call is already recorded (by this node): not an outage, nothing to spool
            log.warning("call %s already recorded; the second record is dropped", record.call_id)
            return
        except StorageError as exc:  # expected when the database is away: no traceback (it would carry SQL)
            log.error("call %s not written to the database, spooled: %s", record.call_id, exc)
            if self._on_error is not None:
                self._on_error("record_call")
            self._append(record)
            return
        except Exception:
            log.exception("call %s from %s not written (bug?); spooled", record.call_id, mask(record.caller.normalized))
            self._append(record)
            return
        if self._spool.exists():
            self.flush_spool()

    def _append(self, record: CallRecord) -> None:
        try:
            with self._lock:
                self._spool_dir.mkdir(parents=True, exist_ok=True)
                with self._spool.open("a", encoding="utf-8") as fh:
                    fh.write(record_to_json(record) + "\n")
        except Exception:
            log.critical("call %s could not be spooled either: record lost", record.call_id, exc_info=True)

    def flush_spool(self) -> int:
        """Replay spooled records into the database; returns how many were written. Stops at the first failure."""
        with self._lock:
            if not self._spool.exists():
                return 0
            lines = [line for line in self._spool.read_text(encoding="utf-8").splitlines() if line.strip()]
            written = 0
            for index, line in enumerate(lines):
                try:
                    self._write(record_from_json(line), replay=True)
                except DuplicateRowError:  # stored meanwhile (a replay killed before it rewrote the spool)
                    continue
                except StorageError as exc:
                    log.warning("spool replay stopped (%d left): %s", len(lines) - index, exc)
                    self._spool.write_text("\n".join(lines[index:]) + "\n", encoding="utf-8")
                    return written
                except Exception:  # a damaged line or a record the database refuses: set aside, never dropped
                    log.exception("spool line %d moved to %s", index + 1, REJECTED_NAME)
                    with (self._spool_dir / REJECTED_NAME).open("a", encoding="utf-8") as fh:
                        fh.write(line + "\n")
                    continue
                written += 1
            self._spool.unlink()
            log.info("replayed %d spooled call record(s)", written)
            return written
