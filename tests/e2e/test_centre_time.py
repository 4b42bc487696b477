"""The same legitimate call at 03:00 and at 15:00 centre time, whatever the machine's clock says.

The service's wall clock is injected (``build_service(clock=…)``; ``clock_offset_s`` for a process): the call's
arrival time, and so the night window, come from it. At night the time of day adds suspicion — never a verdict on
its own — and the caller still reaches the agents; in the afternoon it plays no part.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from screening.interfaces import Route
from screening.verdict import Label
from tests.conftest import CENTRE
from tests.e2e.harness import LEGIT_TEXT, make_caller_audio, start_loopback
from tests.telephony.replay_recognizer import Utterance

pytestmark = [pytest.mark.sip, pytest.mark.slow]



def _call_at(tmp_path: Path, moment: datetime) -> Iterator[tuple[Route, Label, set[str], datetime]]:
    make_caller_audio(tmp_path, LEGIT_TEXT, "PCMU")
    loop = start_loopback(tmp_path, (Utterance(1.5, LEGIT_TEXT),), clock=lambda: moment)
    try:
        result = loop.sipp("uac-legit-expect-refer.xml")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        yield record.route, record.label, {r["code"] for r in json.loads(record.reasons)}, record.started_at
    finally:
        loop.service.stop(drain_timeout_s=1.0)


@pytest.mark.parametrize("hour", [3, 15])
def test_a_legitimate_call_reaches_the_agents_at_night_and_by_day(tools: None, tmp_path: Path, hour: int) -> None:
    moment = datetime(2026, 11, 30, hour, 0, tzinfo=CENTRE)
    for route, label, codes, started_at in _call_at(tmp_path, moment):
        assert started_at == moment  # the record carries the injected time, not the machine's
        assert route in (Route.AGENTS, Route.AGENTS_FLAGGED) and label is not Label.HARASSMENT
        if hour == 3:
            assert "time.night" in codes
        else:
            assert not {c for c in codes if c.startswith("time.")}
            assert (route, label) == (Route.AGENTS, Label.ALLOW)
