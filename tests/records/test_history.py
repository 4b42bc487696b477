from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from records import Database, SqlCallHistory, SqlCallRecorder
from screening.verdict import Label
from tests.records.factories import BASE, SALT, call


def test_counts_span_nodes(fresh_database: Database) -> None:  # node B's connection must see node A's commits
    node_b = Database(fresh_database.url.render_as_string(hide_password=False))
    history_a, history_b = SqlCallHistory(fresh_database), SqlCallHistory(node_b)
    for minute in (0, 1, 2):
        history_a.note_call("+8613812345678", BASE + timedelta(minutes=minute))
    history_b.note_call("+8613812345678", BASE + timedelta(minutes=3))
    history_b.note_call("+8675512340001", BASE + timedelta(minutes=3))
    history_b.note_call("+8675512340002", BASE + timedelta(minutes=4))
    history_b.note_call(None, BASE)
    assert history_b.count_from("+8613812345678", BASE) == 4
    assert history_a.count_from("+8613812345678", BASE + timedelta(minutes=2)) == 2
    assert history_a.count_prefix("+86755123", BASE) == 2
    assert history_a.count_prefix("+86755%", BASE) == 0  # LIKE wildcards are escaped
    node_b.dispose()


def test_agent_confirmations_come_from_records(database: Database, tmp_path: Path) -> None:
    recorder = SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT)
    recorder.record(call("13812345678", Label.SUSPECT, confirmed_by="agent:1"))
    recorder.record(call("13812345678", Label.HARASSMENT, minutes=1))
    history = SqlCallHistory(database)
    assert history.agent_confirmations("+8613812345678", BASE - timedelta(days=1)) == 1
    assert history.agent_confirmations("+8613812345678", BASE + timedelta(hours=1)) == 0


def test_note_call_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = Database(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    with caplog.at_level(logging.WARNING, logger="records.history"):
        SqlCallHistory(broken).note_call("+8613812345678", BASE)  # no table: logged, not raised
    broken.dispose()
    (warning,) = [r for r in caplog.records if r.name == "records.history"]
    assert warning.levelno == logging.WARNING and "call history not written" in warning.getMessage()
