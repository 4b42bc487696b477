"""One record per call and node, held by the database (Alembic 0008), and a spool replay that meets a duplicate."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from records import Database, SqlCallRecorder
from records.errors import DuplicateRowError
from records.models import ScreenedCall
from records.record_codec import record_to_json
from records.recorder import REJECTED_NAME
from records.repository_calls import insert_call
from tests.records.factories import SALT, call


def _count(db: Database, call_id: str) -> int:
    with db.session() as s:
        count = s.scalar(select(func.count()).select_from(ScreenedCall).where(ScreenedCall.call_id == call_id))
        return int(count or 0)


def test_the_database_refuses_a_second_record_of_the_same_call(database: Database) -> None:
    record = call("13812345678", call_id="dup-1")
    with database.session() as s:
        insert_call(s, record, salt=SALT)
    with pytest.raises(DuplicateRowError), database.session() as s:
        insert_call(s, record, salt=SALT)
    assert _count(database, "dup-1") == 1


def test_replay_and_live_writes_meet_duplicates_without_spooling_or_rejecting(database: Database,
                                                                             tmp_path: Path) -> None:
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT)
    first = call("13812345678", call_id="dup-2")
    recorder.record(first)
    recorder.record(first)  # the flow recorded twice (a bug elsewhere): refused, not spooled for ever
    assert not recorder.spool_path.exists()
    recorder.spool_path.write_text(record_to_json(first) + "\n" + record_to_json(call("13812345679", call_id="new"))
                                   + "\n", encoding="utf-8")
    recorder.flush_spool()  # the stored one is skipped, the new one written
    assert not recorder.spool_path.exists() and not (tmp_path / REJECTED_NAME).exists()
    assert _count(database, "dup-2") == 1 and _count(database, "new") == 1
