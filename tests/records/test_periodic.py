from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from records import Database, PeriodicPurge, SqlCallRecorder, StorageError
from records.base import utcnow
from records.evidence import collect
from records.periodic import PeriodicJob
from tests.records.factories import SALT, call


def test_job_survives_storage_errors_and_stops_promptly() -> None:
    runs: list[int] = []
    third = threading.Event()

    def job() -> None:
        runs.append(1)
        if len(runs) >= 3:
            third.set()
        raise StorageError("database unreachable: injected")

    periodic = PeriodicJob("test-job", job, interval_s=0.01)
    periodic.start()
    assert third.wait(10)
    periodic.stop()
    assert not periodic.running
    with pytest.raises(ValueError, match="positive"):
        PeriodicJob("bad", job, interval_s=0)


def test_periodic_purge_runs_at_start(database: Database, tmp_path: Path) -> None:
    SqlCallRecorder(database, spool_dir=tmp_path, salt=SALT).record(
        call("13812345678", at=utcnow() - timedelta(days=10))
    )
    purger = PeriodicPurge(database, retention_days=5, salt=SALT, interval_s=3600)
    purger.start()
    try:
        for _ in range(500):
            with database.session() as s:
                if collect(s, "+8613812345678").calls[0].transcript is None:
                    break
            threading.Event().wait(0.01)
        with database.session() as s:
            assert collect(s, "+8613812345678").calls[0].transcript is None
    finally:
        purger.stop()
