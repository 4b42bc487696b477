"""Fail open in a whole `callscreen serve` node: the model is gone after an upgrade, or the log disk is full.

No model: ``VOSK_MODEL_PATH`` names a directory that was removed. The node must start in caller-ID mode, say so
on /readyz, and route every legitimate call; with the model back, a restart brings content screening back.
Log disk full: stdout and stderr are ``/dev/full`` (every write fails with ENOSPC); calls must still be routed
and records written. (There is no clearing this fault inside one process: its stderr stays that device.)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import free_port, require_tool
from tests.harness import ServiceProcess
from tests.robustness.calls import place_legit_calls
from tests.robustness.full_disk import FullDiskNode

CALLS = 20


def stored_calls(workdir: Path) -> int:
    with sqlite3.connect(f"file:{workdir / 'var' / 'callscreen.db'}?mode=ro", uri=True, timeout=10) as conn:
        return int(conn.execute("SELECT count(*) FROM screened_calls").fetchone()[0])


def test_removed_model_starts_in_caller_id_mode_routes_calls_and_recovers_on_restart(
    tmp_path: Path, korean_model_path: Path
) -> None:
    require_tool("sipp")
    sipp_port = free_port()
    model = tmp_path / "models" / "current"
    model.mkdir(parents=True)
    model.rmdir()  # what an upgrade that removed the old model leaves behind
    node = ServiceProcess(tmp_path, env={"VOSK_MODEL_PATH": str(model),
                                         "CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}"})
    try:
        ready = node.start().wait_ready()
        assert ready["mode"] != "full screening" and ready["components"]["model"]["status"] == "degraded", ready
        assert "NO ASR MODEL" in node.log_path.read_text()
        run = place_legit_calls(tmp_path, node.sip_port, sipp_port, CALLS)
        assert run.dropped == 0, run.output + node.log_tail()
        node.stop()

        model.symlink_to(korean_model_path, target_is_directory=True)  # the operator puts a model back
        ready = node.start().wait_ready(timeout=120)
        assert ready["mode"] == "full screening" and ready["components"]["model"]["status"] == "ok", ready
    finally:
        node.stop()
    assert stored_calls(tmp_path) == CALLS


def test_log_disk_full_calls_still_routed_and_recorded(tmp_path: Path) -> None:
    require_tool("sipp")
    sipp_port = free_port()
    node = FullDiskNode(tmp_path, env={"CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}"})
    try:
        node.start()
        run = place_legit_calls(tmp_path, node.sip_port, sipp_port, CALLS)
        assert run.dropped == 0, run.output
        assert node.process is not None and node.process.poll() is None
        assert node.readyz() is not None
    finally:
        code = node.stop()
    assert code == 0, f"serve exited with {code} on SIGTERM with a full log disk"
    assert stored_calls(tmp_path) == CALLS
