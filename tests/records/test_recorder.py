from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from records import AutoEntryPolicy, Database, SqlCallRecorder, StorageError
from records.base import utcnow
from records.models import AuditEntry, NumberEntry, ScreenedCall
from records.policy import LADDER_ACTION
from records.recorder import REJECTED_NAME
from records.reports import carrier_report
from screening.numberlist import EntrySource, EntryStatus
from screening.verdict import Label
from tests.records.factories import SALT, call


class FailingDatabase(Database):
    """Fault injection: a database that is down until ``healthy`` is set."""

    healthy = False

    @contextmanager
    def session(self) -> Iterator[Session]:
        if not self.healthy:
            raise StorageError("database unreachable: injected")
        with super().session() as session:
            yield session


def _calls(db: Database) -> list[ScreenedCall]:
    with db.session() as s:
        return list(s.scalars(select(ScreenedCall).order_by(ScreenedCall.started_at)))


def _entries(db: Database) -> list[NumberEntry]:
    with db.session() as s:
        return list(s.scalars(select(NumberEntry)))


def test_record_keeps_transcripts_of_flagged_calls_only(database: Database, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT)
    recorder.record(call("13812345678", Label.ALLOW, transcript="我想查一下订单"))
    recorder.record(call("13812345679", Label.SUSPECT, minutes=1, transcript="嗯 哈哈"))
    recorder.record(call(None, Label.HARASSMENT, minutes=2))
    allow, suspect, anonymous = _calls(database)
    assert allow.transcript is None and allow.label is Label.ALLOW
    assert suspect.transcript == "嗯 哈哈"
    assert allow.caller == "+8613812345678" and allow.caller_hash and len(allow.caller_hash) == 32
    assert anonymous.caller is None and anonymous.caller_kind == "anonymous"
    assert "content.insult" in suspect.reasons


def test_the_ladder_escalates_notice_then_expiring_proposal_then_longer_one_and_carrier_report(
    database: Database, tmp_path: Path
) -> None:
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT, policy=AutoEntryPolicy())
    recorder.record(call("13812345678", Label.ALLOW, minutes=0))  # an allowed call is no offence
    recorder.record(call("13812345678", minutes=1))
    assert _entries(database) == []  # first offence: the notice, no block
    recorder.record(call("13812345678", minutes=5))
    (entry,) = _entries(database)
    assert (entry.value, entry.status, entry.source) == ("+8613812345678", EntryStatus.PROPOSED, EntrySource.AUTO)
    first = call("13812345678", minutes=5).started_at
    assert entry.expires_at is not None and timedelta(days=6.9) < entry.expires_at - utcnow() <= timedelta(days=7)
    recorder.record(call("13812345678", minutes=9))
    (entry,) = _entries(database)
    assert entry.status is EntryStatus.PROPOSED and entry.expires_at is not None
    assert entry.expires_at - utcnow() > timedelta(days=89)  # the longer proposal replaced the short one
    recorder.record(call("13812345678", minutes=12))
    assert [c.ladder_step for c in _calls(database)] == [None, 1, 2, 3, 4]
    with database.session() as s:
        audit = [json.loads(a.after or "{}") for a in s.scalars(select(AuditEntry).where(
            AuditEntry.action == LADDER_ACTION).order_by(AuditEntry.id))]
        lines = carrier_report(s, AutoEntryPolicy(), since=first - timedelta(days=1), until=first + timedelta(days=1))
    assert [(a["step"], a["notice"], a["block_days"], a["carrier_report"]) for a in audit] == [
        (1, True, None, False), (2, False, 7, False), (3, False, 90, True), (4, False, 90, True)]
    assert [(line.number, line.offences, line.step) for line in lines] == [("+8613812345678", 4, 4)]


def test_auto_approve_activates_ladder_blocks_and_the_window_forgets_old_offences(
    database: Database, tmp_path: Path
) -> None:
    policy = AutoEntryPolicy(auto_approve=True, window=timedelta(days=30))
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT, policy=policy)
    recorder.record(call("13812345678", minutes=0))
    recorder.record(call("13812345678", minutes=60 * 24 * 40))  # 40 days later: a first offence again
    assert _entries(database) == []
    recorder.record(call("13812345678", minutes=60 * 24 * 41))
    (entry,) = _entries(database)
    assert entry.status is EntryStatus.ACTIVE
    recorder.record(call(None, minutes=3))  # anonymous: the notice step, never a block
    assert [(c.caller is None, c.ladder_step) for c in _calls(database)] == [(False, 1), (True, 1), (False, 1),
                                                                             (False, 2)]
    assert len(_entries(database)) == 1


def test_one_agent_confirmation_proposes_and_threshold_activates(database: Database, tmp_path: Path) -> None:
    policy = AutoEntryPolicy(auto_activate_at=2)
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT, policy=policy)
    recorder.record(call("13900001111", Label.SUSPECT, confirmed_by="agent:1007"))
    (entry,) = _entries(database)
    assert (entry.status, entry.source, entry.author) == (EntryStatus.PROPOSED, EntrySource.AGENT, "agent:1007")
    recorder.record(call("13900001111", Label.HARASSMENT, minutes=3))
    (entry,) = _entries(database)
    assert entry.status is EntryStatus.ACTIVE


def test_failed_write_is_spooled_and_replayed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = FailingDatabase(f"sqlite:///{tmp_path / 'r.db'}")
    db.healthy = True
    db.migrate()
    db.healthy = False
    recorder = SqlCallRecorder(db, spool_dir=tmp_path / "spool", salt=SALT)
    recorder.record(call("13812345678", minutes=0))  # must not raise
    assert "spooled" in caplog.text and "13812345678" not in caplog.text
    recorder.record(call("13812345679", minutes=1))
    assert recorder.spool_path.read_text().count("\n") == 2
    assert recorder.flush_spool() == 0  # still down: kept
    assert recorder.spool_path.exists()
    with recorder.spool_path.open("a") as fh:
        fh.write("{not json\n")
    db.healthy = True
    recorder.record(call("13812345670", minutes=2))  # a good write replays the spool
    assert not recorder.spool_path.exists()
    assert [c.caller for c in _calls(db)] == ["+8613812345678", "+8613812345679", "+8613812345670"]
    assert (tmp_path / "spool" / REJECTED_NAME).read_text() == "{not json\n"
    db.dispose()


def test_spooled_record_round_trips_every_field(tmp_path: Path) -> None:
    from records.record_codec import record_from_json, record_to_json

    original = call("075512345678", Label.SUSPECT, confirmed_by="agent:7")
    assert record_from_json(record_to_json(original)) == original
