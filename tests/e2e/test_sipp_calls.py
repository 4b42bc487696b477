"""End-to-end calls on loopback: sipp places real SIP calls with real G.711 RTP into a real callscreen service.

Each test is GIVEN (caller, lists, script the recogniser double replays) → WHEN (the sipp scenario of the same
name runs) → THEN (sipp's own checks pass — it exits 0 only if every expected message arrived — plus the audio
callscreen heard/played and the call record the records layer stored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prompts.library import PromptLibrary
from prompts.names import PromptName
from screening.interfaces import ListName, Route
from screening.verdict import Label
from telephony.rtp.codecs import codec_for
from tests.conftest import require_tool
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


@pytest.fixture
def tools() -> None:
    for tool in ("sipp", "espeak-ng", "sox"):
        require_tool(tool)


@pytest.fixture
def sink() -> Iterator[RtpSink]:
    receiver = RtpSink()
    yield receiver
    receiver.stop()


def _loop(tmp_path: Path, script: tuple[Utterance, ...], codec: str, text: str, **overrides: dict[str, object]
          ) -> Iterator[Loopback]:
    make_caller_audio(tmp_path, text, codec)
    loop = start_loopback(tmp_path, script, **overrides)
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
