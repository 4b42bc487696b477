"""End-to-end calls on loopback: sipp places real SIP calls with real G.711 RTP into a real callscreen service.

Each test is GIVEN (caller, lists, script the recogniser double replays) → WHEN (the sipp scenario of the same
name runs) → THEN (sipp's own checks pass — it exits 0 only if every expected message arrived — plus the audio
callscreen heard/played and the call record the records layer stored).
"""

from __future__ import annotations

import concurrent.futures
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prompts.library import PromptLibrary
from prompts.names import PromptName
from screening.interfaces import Route
from screening.numberlist import ListName
from screening.verdict import Label
from telephony.rtp.codecs import codec_for
from telephony.sip.refer import REF_HEADER, SCORE_HEADER, VERDICT_HEADER, embedded_headers
from tests.e2e.harness import (
    CALLER_NUMBER,
    CODECS,
    HARASS_TEXT,
    LEGIT_TEXT,
    Loopback,
    RtpSink,
    make_caller_audio,
    start_loopback,
)
from tests.telephony.replay_recognizer import Utterance

pytestmark = [pytest.mark.sip, pytest.mark.slow]
LEGIT = (Utterance(1.5, LEGIT_TEXT),)
HARASS = (Utterance(1.5, HARASS_TEXT),)




def _loop(tmp_path: Path, script: tuple[Utterance, ...], codec: str, text: str, *, fail_at_s: float | None = None,
          **overrides: Any) -> Iterator[Loopback]:
    make_caller_audio(tmp_path, text, codec)
    loop = start_loopback(tmp_path, script, fail_at_s=fail_at_s, **overrides)
    try:
        yield loop
    finally:
        loop.service.stop(drain_timeout_s=1.0)


def _heard_matches_sent(loop: Loopback, tmp_path: Path, codec: str) -> None:
    """What callscreen handed to the recogniser is exactly the G.711 decode of what sipp streamed."""
    sent = (tmp_path / "caller.raw").read_bytes()
    heard = bytes(loop.replay.streams[0].audio)
    decoded = codec_for(CODECS[codec][0]).decode(sent)
    second = decoded[8000 * 2 : 8000 * 2 + 3200]  # 200 ms from one second in
    assert len(heard) > 16000, f"callscreen heard only {len(heard)} bytes"
    assert second in heard


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_legit_call_is_transferred_to_agents_with_refer(tools: None, tmp_path: Path, codec: str) -> None:
    for loop in _loop(tmp_path, LEGIT, codec, LEGIT_TEXT):
        result = loop.sipp("uac-legit-expect-refer.xml", codec=codec)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.AGENTS
        assert record.label is Label.ALLOW
        assert record.end_reason == "transfer_ok"
        assert record.caller == CALLER_NUMBER
        _heard_matches_sent(loop, tmp_path, codec)
        refer_to = re.search(r"^Refer-To: *(.+?)\r?$", loop.sipp_log(), re.MULTILINE)
        assert refer_to is not None, loop.sipp_log()
        assert dict(embedded_headers(refer_to.group(1))) == {
            VERDICT_HEADER: "allow", SCORE_HEADER: f"{record.score:.2f}", REF_HEADER: record.ref}


def _played(sink: RtpSink, codec: str, names: tuple[PromptName, ...]) -> None:
    """Every RTP packet callscreen sent carries the negotiated codec, and the prompts decode out of the stream."""
    pt = CODECS[codec][0]
    assert sink.packets, "sipp's side received no RTP from callscreen"
    assert {p for p, _, _ in sink.packets} == {pt}
    g711 = codec_for(pt)
    heard = g711.decode(sink.payload())
    library = PromptLibrary.load()
    for name in names:
        prompt = library.pcm16(name)
        chunk = prompt[3200 : 3200 + 1600]  # 100 ms, frame-aligned, from 100 ms into the prompt
        assert g711.decode(g711.encode(chunk)) in heard, f"prompt {name} not heard by the caller"


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_harasser_hears_analysis_queue_then_bye(tools: None, tmp_path: Path, sink: RtpSink, codec: str) -> None:
    for loop in _loop(tmp_path, HARASS, codec, HARASS_TEXT):
        result = loop.sipp("uac-harasser-expect-sit-bye.xml", codec=codec, sink_port=sink.port)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.ANALYSIS
        assert record.label is Label.HARASSMENT
        assert record.end_reason == "analysis_done"
        assert record.transcript == HARASS_TEXT  # flagged calls keep the transcript
        _played(sink, codec, (PromptName.GREETING, PromptName.ANALYSIS_NOTICE, PromptName.SIT,
                              PromptName.ANALYSIS_DONE))
        _heard_matches_sent(loop, tmp_path, codec)


def test_allowlisted_caller_goes_straight_to_agents(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path, HARASS, "PCMU", HARASS_TEXT):  # what they say does not matter: not screened
        loop.add_entry(ListName.ALLOW)
        result = loop.sipp("uac-legit-expect-refer.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.AGENTS
        assert record.end_reason == "transfer_ok"
        assert loop.replay.streams == []  # no content screening


def test_blocklisted_caller_gets_analysis_queue_without_content_screening(
    tools: None, tmp_path: Path, sink: RtpSink
) -> None:
    for loop in _loop(tmp_path, LEGIT, "PCMU", LEGIT_TEXT):  # even a polite text: the source is confirmed
        loop.add_entry(ListName.BLOCK)
        result = loop.sipp("uac-harasser-expect-sit-bye.xml", sink_port=sink.port)
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.ANALYSIS
        assert loop.replay.streams == []
        _played(sink, "PCMU", (PromptName.ANALYSIS_NOTICE, PromptName.SIT, PromptName.ANALYSIS_DONE))


def test_call_to_analysis_extension_is_recorded_as_agent_confirmed(
    tools: None, tmp_path: Path, sink: RtpSink
) -> None:
    for loop in _loop(tmp_path, LEGIT, "PCMU", LEGIT_TEXT):
        result = loop.sipp("uac-harasser-expect-sit-bye.xml", sink_port=sink.port, service_user="analysis")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.ANALYSIS
        assert record.label is Label.HARASSMENT
        assert record.confirmed_by is not None and record.confirmed_by.startswith("agent")
        _played(sink, "PCMU", (PromptName.ANALYSIS_NOTICE, PromptName.SIT, PromptName.ANALYSIS_DONE))


def test_cancel_before_answer_gets_487_and_is_recorded(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path, LEGIT, "PCMU", LEGIT_TEXT, sip={"answer_delay_ms": 2000}):
        result = loop.sipp("uac-cancel-expect-487.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.ABANDONED
        assert record.end_reason == "cancel"
        assert loop.replay.streams == []  # never answered


def test_caller_hanging_up_mid_prompt_ends_cleanly_and_is_recorded(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path, (), "PCMU", LEGIT_TEXT):
        result = loop.sipp("uac-hangup-mid-prompt-expect-clean-end.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.ABANDONED
        assert record.end_reason == "caller_bye"
        assert loop.service.endpoint.active_calls() == []


def test_no_rtp_during_the_deterrent_ends_the_call_with_media_timeout(tools: None, tmp_path: Path) -> None:
    """A blocklisted caller goes straight to the analysis queue (prompts, no listening); no RTP from it: the
    media timeout ends the call mid-prompt instead of playing the whole queue to nobody."""
    for loop in _loop(tmp_path, HARASS, "PCMU", HARASS_TEXT, rtp={"media_timeout_s": 2.0}):
        loop.add_entry(ListName.BLOCK)
        started = time.monotonic()
        result = loop.sipp("uac-silent-expect-media-timeout-bye.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.end_reason == "media_timeout", record.end_reason
        assert time.monotonic() - started < 8.0


def test_no_rtp_ends_the_call_with_media_timeout(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path, LEGIT, "PCMU", LEGIT_TEXT, rtp={"media_timeout_s": 2.0}):
        result = loop.sipp("uac-silent-expect-media-timeout-bye.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.MEDIA_TIMEOUT
        assert record.end_reason == "media_timeout"


def test_options_answered_unknown_method_501_register_405(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path, (), "PCMU", LEGIT_TEXT):
        result = loop.sipp("uac-options-unknown-expect-200-501.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        assert loop.records(expected=0, wait_s=0) == []


def test_refused_transfer_goes_to_the_fallback_uri(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path, LEGIT, "PCMU", LEGIT_TEXT):
        result = loop.sipp("uac-refer-refused-expect-fallback-refer.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.AGENTS
        assert record.end_reason == "transfer_fallback_ok"


def test_caller_hears_an_apology_when_every_transfer_is_refused(tools: None, tmp_path: Path, sink: RtpSink) -> None:
    for loop in _loop(tmp_path, LEGIT, "PCMU", LEGIT_TEXT):
        result = loop.sipp("uac-refer-refused-twice-expect-apology-bye.xml", sink_port=sink.port)
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.AGENTS
        assert record.end_reason == "transfer_failed:403"
        _played(sink, "PCMU", (PromptName.TRANSFER_FAILED,))


def test_recogniser_failure_fails_open_to_the_agents(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path, HARASS, "PCMU", HARASS_TEXT, fail_at_s=0.5):  # fails before the insults arrive
        result = loop.sipp("uac-legit-expect-refer.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.FAIL_OPEN
        assert record.end_reason == "transfer_ok"
        assert "system.fail_open" in record.reasons


def test_shutdown_hands_a_call_being_screened_to_the_agents(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path, (), "PCMU", LEGIT_TEXT, screening={"listen_timeout_s": 30.0}):
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            running = pool.submit(loop.sipp, "uac-legit-expect-refer.xml")
            deadline = time.monotonic() + 10
            while not (loop.replay.streams and loop.replay.streams[0].audio_s > 1.0) and time.monotonic() < deadline:
                time.sleep(0.1)
            loop.service.stop(drain_timeout_s=10.0)  # what SIGTERM does in `callscreen serve`
            result = running.result(timeout=90)
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.AGENTS
        assert record.end_reason == "transfer_ok"


def test_allowlisted_caller_redirected_with_302_before_answer(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path, HARASS, "PCMU", HARASS_TEXT, sip={"redirect_allowlisted": True}):
        loop.add_entry(ListName.ALLOW)
        result = loop.sipp("uac-allowlisted-expect-302.xml")
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.AGENTS
        assert record.end_reason == "redirect"
        assert loop.replay.streams == []


def test_caller_without_a_clear_reason_is_asked_once_then_routed(tools: None, tmp_path: Path, sink: RtpSink) -> None:
    # default timings: greeting (3.6 s) in the 8 s first window, then the question and its answer window
    for loop in _loop(tmp_path, (), "PCMU", LEGIT_TEXT):
        result = loop.sipp("uac-legit-expect-refer.xml", sink_port=sink.port)
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route in (Route.AGENTS, Route.AGENTS_FLAGGED)  # no evidence of harassment: never deterred
        _played(sink, "PCMU", (PromptName.GREETING, PromptName.CHALLENGE))
