"""The graduated response is shared: three harassment calls from one number, alternating between two nodes on one
PostgreSQL, climb one ladder — the recorded-call notice, then the analysis queue with a proposed block that
expires, then a longer proposal and the carrier report — and every step is on the call record and in the audit log.

Two real services (own SIP ports, own RTP, own prompts) share a throw-away PostgreSQL database; sipp is the
harasser; the recogniser double "hears" the insults after 1.5 s of caller audio.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from prompts.library import PromptLibrary
from prompts.names import PromptName
from records.base import utcnow
from records.models import AuditEntry, NumberEntry, ScreenedCall
from records.policy import LADDER_ACTION, AutoEntryPolicy
from records.reports import carrier_report
from screening.interfaces import Route
from screening.numberlist import EntryStatus
from telephony.rtp.codecs import codec_for
from tests.e2e.harness import (
    CALLER_NUMBER,
    HARASS_TEXT,
    Loopback,
    RtpSink,
    make_caller_audio,
    require_call_tools,
    start_loopback,
)
from tests.robustness.pg import pg_url, temporary_database
from tests.telephony.replay_recognizer import Utterance

pytestmark = [pytest.mark.sip, pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Loopback, Loopback]]:
    require_call_tools()
    with temporary_database("cs_ladder") as name:
        started: list[Loopback] = []
        try:
            for node in ("a", "b"):
                directory = tmp_path / node
                directory.mkdir()
                make_caller_audio(directory, HARASS_TEXT, "PCMU")
                started.append(start_loopback(directory, (Utterance(1.5, HARASS_TEXT),),
                                              database={"url": pg_url(name)}))
            yield started[0], started[1]
        finally:
            for loop in started:
                loop.service.stop(drain_timeout_s=1.0)


def _heard_notice(sink: RtpSink) -> bool:
    g711 = codec_for(0)
    chunk = PromptLibrary.load().pcm16(PromptName.RECORDED_NOTICE)[3200:4800]
    return g711.decode(g711.encode(chunk)) in g711.decode(sink.payload())


def test_three_offences_on_two_nodes_climb_one_ladder(nodes: tuple[Loopback, Loopback]) -> None:
    a, b = nodes
    heard: list[bool] = []
    expiries: list[timedelta | None] = []
    for number, node in enumerate((a, b, a), start=1):
        sink = RtpSink()
        try:
            result = node.sipp("uac-harasser-expect-sit-bye.xml", sink_port=sink.port)
            assert result.returncode == 0, result.stdout[-3000:] + node.sipp_log()
            assert len(node.records(expected=number, wait_s=15)) == number  # both nodes see the shared rows
            heard.append(_heard_notice(sink))
        finally:
            sink.stop()
        with node.service.db.session() as session:
            entry = session.scalars(select(NumberEntry).where(NumberEntry.value == CALLER_NUMBER)).first()
            expiries.append(None if entry is None or entry.expires_at is None else entry.expires_at - utcnow())
            if entry is not None:
                assert entry.status is EntryStatus.PROPOSED  # a manager approves (auto_approve is off)
    assert heard == [True, False, False]  # the notice only for the first offence
    assert expiries[0] is None  # first offence: no block
    assert expiries[1] is not None and timedelta(days=6.9) < expiries[1] <= timedelta(days=7)
    assert expiries[2] is not None and timedelta(days=89.9) < expiries[2] <= timedelta(days=90)  # longer
    with a.service.db.session() as session:
        calls = list(session.scalars(select(ScreenedCall).order_by(ScreenedCall.started_at)))
        assert [(c.route, c.ladder_step) for c in calls] == [(Route.ANALYSIS, 1), (Route.ANALYSIS, 2),
                                                             (Route.ANALYSIS, 3)]
        steps = [json.loads(e.after or "{}") for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == LADDER_ACTION).order_by(AuditEntry.id))]
        assert [(s["step"], s["notice"], s["block_days"], s["carrier_report"]) for s in steps] == [
            (1, True, None, False), (2, False, 7, False), (3, False, 90, True)]
        now = utcnow() + timedelta(seconds=a.service.settings.clock_offset_s)
        lines = carrier_report(session, AutoEntryPolicy(), since=now - timedelta(hours=1), until=now)
        assert [(line.number, line.offences, line.step) for line in lines] == [(CALLER_NUMBER, 3, 3)]
