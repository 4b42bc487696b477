"""Crash safety of call records: ``kill -9`` of `callscreen serve` while sipp places calls at a steady rate.

What a crash may cost, and what it may not: every record committed before the kill is still in the database after
the restart (read directly, not through the service), and records spooled to disk while the database was away are
replayed by the restarted node. A call in progress at the kill has no record yet (the record is written when the
call ends) and its caller hears nothing more — sipp counts it failed; calls placed after the restart are handled.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from callscreen.records_setup import spool_dir
from records.recorder import SPOOL_NAME
from tests.conftest import free_port, require_tool
from tests.harness import ServiceProcess
from tests.robustness.calls import place_legit_calls
from tests.robustness.pg import count_rows, pg_call_ids, pg_database, proxy  # noqa: F401 (fixtures)
from tests.robustness.sipp_load import start_legit_calls
from tests.robustness.tcp_proxy import Mode, TcpProxy

CALLS = 50
RATE = 5
KILL_AFTER_RECORDS = 12


def _sqlite_call_ids(db: Path) -> set[str]:
    if not db.exists():
        return set()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        try:
            return {row[0] for row in conn.execute("SELECT call_id FROM screened_calls")}
        except sqlite3.OperationalError:  # schema not there yet
            return set()


def _wait_until(predicate, timeout_s: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_kill_9_mid_calls_loses_no_committed_record(tmp_path: Path) -> None:
    require_tool("sipp")
    sipp_port = free_port()
    node = ServiceProcess(tmp_path, env={"CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}"}).start()
    db = tmp_path / "var" / "callscreen.db"
    sipp = start_legit_calls(tmp_path, node.sip_port, sipp_port, CALLS, rate=RATE)
    try:
        assert _wait_until(lambda: len(_sqlite_call_ids(db)) >= KILL_AFTER_RECORDS, 60), node.log_tail()
        committed = _sqlite_call_ids(db)
        node.kill()  # calls are in progress: sipp keeps placing them at the same rate
        node.start()
        run = sipp.result()
        node_alive = node.process is not None and node.process.poll() is None
        after = _sqlite_call_ids(db)
    finally:
        sipp.stop()
        node.stop()
    assert node_alive, node.log_tail()
    assert committed <= after, f"{len(committed - after)} committed records missing after kill -9"
    # Calls the kill cut off fail (no record, no REFER); calls placed after the restart reach the agents.
    assert run.successful > len(committed) and len(after) > len(committed), run.output
    assert run.failed < CALLS // 2, run.output
    spool = spool_dir_of(tmp_path)
    assert not (spool / SPOOL_NAME).exists()


def spool_dir_of(workdir: Path) -> Path:
    from callscreen.settings import Settings

    return spool_dir(Settings(data_dir=workdir / "var"))


def test_records_spooled_before_kill_9_are_replayed_after_restart(
    tmp_path: Path, pg_database: str, proxy: TcpProxy  # noqa: F811
) -> None:
    require_tool("sipp")
    sipp_port = free_port()
    node = ServiceProcess(tmp_path, env={
        "CALLSCREEN_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{pg_database}",
        "CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}",
    }).start()
    spool = spool_dir_of(tmp_path) / SPOOL_NAME
    try:
        proxy.set_mode(Mode.DOWN)
        during = place_legit_calls(tmp_path, node.sip_port, sipp_port, 10)
        assert during.dropped == 0, during.output + node.log_tail()
        assert _wait_until(lambda: spool.exists() and len(spool.read_text().splitlines()) >= 10, 20), node.log_tail()
        spooled = {json.loads(line)["call_id"] for line in spool.read_text().splitlines() if line.strip()}
        node.kill()
        proxy.set_mode(Mode.PASS)
        node.start()
        assert _wait_until(lambda: count_rows(pg_database, "screened_calls") >= 10, 30), node.log_tail()
        assert _wait_until(lambda: not spool.exists(), 10), node.log_tail()
        after = place_legit_calls(tmp_path, node.sip_port, sipp_port, 2)
        assert after.dropped == 0, after.output
    finally:
        node.stop()
    stored = pg_call_ids(pg_database)
    assert spooled <= stored, f"spooled records lost: {len(spooled - stored)}"
    assert len(stored) == 12, "a replayed record was written twice or lost"
