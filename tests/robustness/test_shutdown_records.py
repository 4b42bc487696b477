"""A shutdown right after a call ended still records the call (the crash-safety test's 11 of 12 under load).

A call leaves the endpoint's active calls when its signalling ends; its flow writes the record just after. Under
CPU load that "just after" grows, and a SIGTERM in between used to stop the node before the record was written —
neither in the database nor in the spool. The recorder is slowed here to make the window certain.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from records.recorder import SqlCallRecorder
from screening.interfaces import Route
from tests.conftest import require_tool
from tests.e2e.harness import LEGIT_TEXT, make_caller_audio, start_loopback
from tests.telephony.replay_recognizer import Utterance

pytestmark = [pytest.mark.sip]
SLOW_RECORD_S = 1.5


def test_stop_waits_for_the_last_flow_to_record_its_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for tool in ("sipp", "espeak-ng", "sox"):
        require_tool(tool)
    original = SqlCallRecorder.record

    def slow_record(self: SqlCallRecorder, record: object) -> None:
        time.sleep(SLOW_RECORD_S)  # a loaded machine
        original(self, record)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlCallRecorder, "record", slow_record)
    make_caller_audio(tmp_path, LEGIT_TEXT, "PCMU")
    loop = start_loopback(tmp_path, (Utterance(1.5, LEGIT_TEXT),))
    try:
        result = loop.sipp("uac-legit-expect-refer.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
    finally:
        loop.service.stop(drain_timeout_s=0.5)  # SIGTERM as soon as the caller's side is done
    records = loop.records(expected=1, wait_s=0)
    assert len(records) == 1, "the last call's record was lost at shutdown"
    assert records[0].route is Route.AGENTS
