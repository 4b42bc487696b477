from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from records import AutoEntryPolicy, Database, SqlCallRecorder, StorageError
from records.models import NumberEntry, ScreenedCall
from records.recorder import REJECTED_NAME
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


def test_repeated_harassment_proposes_a_block(database: Database, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT, policy=AutoEntryPolicy(repeat_harassment=3))
    recorder.record(call("13812345678", minutes=0))
    recorder.record(call("13812345678", minutes=5))
    assert _entries(database) == []
    recorder.record(call("13812345678", minutes=9))
    (entry,) = _entries(database)
    assert (entry.value, entry.status, entry.source) == ("+8613812345678", EntryStatus.PROPOSED, EntrySource.AUTO)
    assert entry.expires_at is not None
    recorder.record(call("13812345678", minutes=12))
    assert len(_entries(database)) == 1


def test_one_agent_confirmation_proposes_and_threshold_activates(database: Database, tmp_path: Path) -> None:
    policy = AutoEntryPolicy(repeat_harassment=5, auto_activate_at=2)
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
