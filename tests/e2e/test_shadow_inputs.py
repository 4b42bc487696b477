"""The call flow hands each call's screening inputs to the recorder (shadow mode), over real SIP and RTP with sipp.

An unflagged caller's transcript is not kept on the call record, but is kept (briefly) as a shadow input; a
blocklisted caller's input says nothing was listened to.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from records.models import ShadowInput
from screening.numberlist import ListName
from screening.verdict import Label
from tests.e2e.harness import CALLER_NUMBER, LEGIT_TEXT, Loopback, make_caller_audio, require_call_tools, start_loopback
from tests.telephony.replay_recognizer import Utterance


@pytest.fixture
def loop(tmp_path: Path) -> Loopback:
    require_call_tools()
    make_caller_audio(tmp_path, LEGIT_TEXT, "PCMU")
    return start_loopback(tmp_path, (Utterance(1.5, LEGIT_TEXT),))


def _inputs(loop: Loopback, expected: int) -> list[ShadowInput]:
    deadline = time.monotonic() + 8
    while True:
        with loop.service.db.session() as session:
            rows = list(session.scalars(select(ShadowInput).order_by(ShadowInput.id)))
            session.expunge_all()
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def test_screened_and_blocked_calls_leave_their_inputs(loop: Loopback) -> None:
    try:
        result = loop.sipp("uac-legit-expect-refer.xml")
        assert result.returncode == 0, result.stdout[-2000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.label is Label.ALLOW and record.transcript is None  # not flagged: no transcript on the call
        (screened,) = _inputs(loop, 1)
        assert screened.listened and screened.transcript == LEGIT_TEXT
        assert screened.caller_raw and screened.at == record.started_at and screened.label is Label.ALLOW
        loop.add_entry(ListName.BLOCK, CALLER_NUMBER)
        blocked_run = loop.sipp("uac-harasser-expect-sit-bye.xml")
        assert blocked_run.returncode == 0, blocked_run.stdout[-2000:] + loop.sipp_log()
        blocked = _inputs(loop, 2)[-1]
        assert not blocked.listened and blocked.transcript == ""
    finally:
        loop.service.stop(drain_timeout_s=1.0)
