"""The conversation with the caller, end to end over sipp with the DEFAULT timings (8 s first window, the
challenge question's real length + 5 s second window). Only the recogniser is a double (at the ASR boundary): it
"hears" its scripted words once that much caller audio has arrived through SIP/RTP/G.711.

GIVEN an unsure caller (nothing about the business in the first window) WHEN callscreen asks the question THEN:
pressing 1 (SIP INFO dtmf-relay) → agents; stating a business matter → agents; abuse → the analysis queue (first
offence: the recorded-call notice first); staying silent on a noisy line at night → never the deterrent. And an
angry complaint with the night and anonymous (or repeat) signals goes to the senior agents, never the deterrent.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import pytest

from prompts.library import PromptLibrary
from prompts.names import PromptName
from records.base import utcnow
from records.models import CallArrival
from screening.interfaces import Route
from screening.verdict import Label
from telephony.rtp.codecs import codec_for
from tests.conftest import free_port
from tests.e2e.harness import (
    CALLER_NUMBER,
    HARASS_TEXT,
    LEGIT_TEXT,
    Loopback,
    RtpSink,
    make_caller_audio,
    start_loopback,
)
from tests.telephony.replay_recognizer import Utterance

pytestmark = [pytest.mark.sip, pytest.mark.slow]
AFTER_QUESTION_S = 11.0  # of caller audio: past the 8 s first window, while the question plays
ANGRY_TEXT = "我要投诉，你们他妈的快递三天都没送到，什么破服务"
ALL_DAY_NIGHT: Mapping[str, object] = {"night": "00:00-23:59"}  # the night signal present whatever the wall clock says
ANONYMOUS = '"Anonymous" <sip:anonymous@anonymous.invalid>'




def _heard(sink: RtpSink, *names: PromptName) -> list[PromptName]:
    g711 = codec_for(0)
    heard = g711.decode(sink.payload())
    library = PromptLibrary.load()
    return [n for n in names if g711.decode(g711.encode(library.pcm16(n)[3200:4800])) in heard]


def _noise(tmp_path: Path) -> None:
    """A bad line: hiss and crackle, no words (G.711 µ-law raw, as sipp streams it)."""
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-t", "ul", str(tmp_path / "caller.raw"), "synth", "30",
                    "pinknoise", "vol", "0.05"], check=True, capture_output=True)


def _start(tmp_path: Path, script: tuple[Utterance, ...], screening: Mapping[str, object] | None = None) -> Loopback:
    sipp_port = free_port()
    return start_loopback(tmp_path, script, sipp_port=sipp_port, sip={
        "senior_agents_uri": f"sip:senior@127.0.0.1:{sipp_port}"}, screening=screening or {})


def _earlier_calls(loop: Loopback) -> list[CallArrival]:
    """Two calls from the caller's number in the last minutes of the service's (shifted) clock: a repeat caller."""
    now = utcnow() + timedelta(seconds=loop.service.settings.clock_offset_s)
    return [CallArrival(caller=CALLER_NUMBER, at=now - timedelta(minutes=m)) for m in (3, 6)]


def _fail(result: subprocess.CompletedProcess[str], loop: Loopback) -> str:
    return result.stdout[-3000:] + result.stderr[-2000:] + loop.sipp_log()


def test_unsure_caller_hears_the_question_and_presses_1(tools: None, tmp_path: Path, sink: RtpSink) -> None:
    make_caller_audio(tmp_path, "嗯", "PCMU")
    loop = _start(tmp_path, ())
    try:
        result = loop.sipp("uac-unsure-presses-1-expect-refer.xml", sink_port=sink.port)
        assert result.returncode == 0, _fail(result, loop)
        (record,) = loop.records()
        assert record.route in (Route.AGENTS, Route.AGENTS_FLAGGED) and record.end_reason == "transfer_ok"
        assert _heard(sink, PromptName.GREETING, PromptName.CHALLENGE) == [PromptName.GREETING, PromptName.CHALLENGE]
    finally:
        loop.service.stop(drain_timeout_s=1.0)


def test_unsure_caller_answers_with_a_business_matter(tools: None, tmp_path: Path, sink: RtpSink) -> None:
    make_caller_audio(tmp_path, LEGIT_TEXT, "PCMU")
    loop = _start(tmp_path, (Utterance(AFTER_QUESTION_S, LEGIT_TEXT),))
    try:
        result = loop.sipp("uac-legit-expect-refer.xml", sink_port=sink.port)
        assert result.returncode == 0, _fail(result, loop)
        (record,) = loop.records()
        assert (record.route, record.label, record.end_reason) == (Route.AGENTS, Label.ALLOW, "transfer_ok")
        assert PromptName.CHALLENGE in _heard(sink, PromptName.CHALLENGE)
    finally:
        loop.service.stop(drain_timeout_s=1.0)


def test_unsure_caller_who_abuses_gets_the_notice_and_the_analysis_queue(
    tools: None, tmp_path: Path, sink: RtpSink
) -> None:
    make_caller_audio(tmp_path, HARASS_TEXT, "PCMU")
    loop = _start(tmp_path, (Utterance(AFTER_QUESTION_S, HARASS_TEXT),))
    try:
        result = loop.sipp("uac-harasser-expect-sit-bye.xml", sink_port=sink.port)
        assert result.returncode == 0, _fail(result, loop)
        (record,) = loop.records()
        assert (record.route, record.label, record.ladder_step) == (Route.ANALYSIS, Label.HARASSMENT, 1)
        order = [PromptName.GREETING, PromptName.CHALLENGE, PromptName.RECORDED_NOTICE, PromptName.ANALYSIS_NOTICE,
                 PromptName.ANALYSIS_DONE]
        assert _heard(sink, *order) == order  # first offence: the recorded-call notice before the queue
    finally:
        loop.service.stop(drain_timeout_s=1.0)


def test_silent_repeat_caller_on_a_noisy_line_at_night_is_not_harassment(tools: None, tmp_path: Path) -> None:
    _noise(tmp_path)
    loop = _start(tmp_path, (), screening=ALL_DAY_NIGHT)
    try:
        with loop.service.db.session() as session:  # two earlier calls from this number: a repeat caller
            session.add_all(_earlier_calls(loop))
        result = loop.sipp("uac-legit-expect-refer.xml")
        assert result.returncode == 0, _fail(result, loop)  # REFERred to the agents: never the deterrent
        (record,) = loop.records()
        assert record.route in (Route.AGENTS, Route.AGENTS_FLAGGED) and record.label is not Label.HARASSMENT
        assert {"caller.repeat", "time.night"} <= {code for code in record.reasons.split('"') if "." in code}
    finally:
        loop.service.stop(drain_timeout_s=1.0)


def test_angry_complaint_goes_to_the_senior_agents_whatever_caller_id_and_time_say(
    tools: None, tmp_path: Path
) -> None:
    make_caller_audio(tmp_path, ANGRY_TEXT, "PCMU")
    loop = _start(tmp_path, (Utterance(1.5, ANGRY_TEXT),), screening=ALL_DAY_NIGHT)
    ref = "X-Callscreen-Ref=[0-9a-f]{10}"
    senior = (("sip:agents@", "sip:senior@"), (f"{ref}>", f"{ref}&amp;X-Callscreen-Route=angry_customer>"))
    try:
        anonymous = loop.sipp("uac-legit-expect-refer.xml", replace=senior, caller_from=ANONYMOUS, hdr1="Privacy: id")
        assert anonymous.returncode == 0, _fail(anonymous, loop)
        with loop.service.db.session() as session:
            session.add_all(_earlier_calls(loop))
        repeat = loop.sipp("uac-legit-expect-refer.xml", replace=senior)
        assert repeat.returncode == 0, _fail(repeat, loop)
        rows = loop.records(expected=2)
        assert [r.route for r in rows] == [Route.ANGRY_CUSTOMER] * 2
        assert all(r.label is not Label.HARASSMENT and r.end_reason == "transfer_ok" for r in rows)
        codes = [r.reasons for r in rows]
        assert any("caller.anonymous" in c for c in codes) and any("caller.repeat" in c for c in codes)
        assert all("time.night" in c and "content.swearing" in c for c in codes)
    finally:
        loop.service.stop(drain_timeout_s=1.0)
