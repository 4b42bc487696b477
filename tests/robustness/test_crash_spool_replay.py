"""``kill -9`` in the middle of a spool replay: the restarted recorder must not write a record twice (nor lose one).

The replay writes spooled records one transaction each and rewrites the spool file once at the end, so a crash
in between leaves records both in the database and still in the spool. A child process replays 400 spooled
records into a real SQLite file and is killed once some, not all, are in; the next replay must leave exactly 400.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from records import Database, SqlCallRecorder
from records.record_codec import record_to_json
from records.recorder import SPOOL_NAME
from tests.conftest import REPO
from tests.records.factories import SALT, call

RECORDS = 400
CHILD = """
import sys
from pathlib import Path
from records import Database, SqlCallRecorder
db = Database(sys.argv[1])
SqlCallRecorder(db, spool_dir=Path(sys.argv[2]), salt=b"test-salt").flush_spool()
"""


def _stored(path: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        rows, distinct = conn.execute("SELECT count(*), count(DISTINCT call_id) FROM screened_calls").fetchone()
        return int(rows), int(distinct)


def test_replay_killed_midway_then_replayed_again_writes_each_record_once(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    url = f"sqlite:///{path}"
    Database(url).migrate()
    spool = tmp_path / "spool"
    spool.mkdir()
    records = [call("13812345678", minutes=i, call_id=f"spooled-{i}") for i in range(RECORDS)]
    (spool / SPOOL_NAME).write_text("".join(record_to_json(r) + "\n" for r in records), encoding="utf-8")

    child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(spool)], cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None and _stored(path)[0] < RECORDS // 4:
        time.sleep(0.005)
    child.kill()
    child.wait(timeout=10)
    written_before_kill = _stored(path)[0]
    assert 0 < written_before_kill < RECORDS, f"the kill did not land mid-replay ({written_before_kill} written)"
    assert (spool / SPOOL_NAME).exists()

    db = Database(url)
    SqlCallRecorder(db, spool_dir=spool, salt=SALT).flush_spool()
    db.dispose()
    assert _stored(path) == (RECORDS, RECORDS), "records lost or written twice after a crash during replay"
    assert not (spool / SPOOL_NAME).exists()
