"""The engine: worker threads, 20 ms streaming with partials, back-pressure, one shared model, failing open.

"Equal to the one-shot result" is exact: the recogniser feeds Vosk fixed 100 ms pieces whatever the frame size,
and the model is loaded with dither off (asr.model), so decoding is repeatable even with streams running at once.
"""

from __future__ import annotations

import threading
import time

import pytest

from asr.audio import read_wav_as_telephone_pcm
from asr.engine import AsrEngine
from asr.errors import AsrError, AsrOverloadError
from asr.events import FRAME_BYTES, AsrEvent, AsrFinal, AsrPartial
from asr.model import SharedModel, rss_mb
from asr.offline import transcribe_pcm
from asr.recognizer import Recognizer
from asr.stream import EngineStream
from tests.asr.conftest import Clips

pytestmark = pytest.mark.vosk

WAIT_S = 60.0


def _drain(stream: EngineStream) -> list[AsrEvent]:
    """Poll until the worker has decoded everything accepted (bounded)."""
    events: list[AsrEvent] = []
    deadline = time.monotonic() + WAIT_S
    while stream.backlog_s > 0 and time.monotonic() < deadline:
        events += stream.poll()
        time.sleep(0.02)
    return events + stream.poll()


def test_workers_are_named_threads_that_stop_on_close(ko_model: SharedModel) -> None:
    engine = AsrEngine(ko_model, workers=2, queue_frames=50, endpoint_silence_ms=600)
    names = {t.name for t in threading.enumerate()}
    assert {"asr-worker-1", "asr-worker-2"} <= names
    engine.close()
    assert not {"asr-worker-1", "asr-worker-2"} & {t.name for t in threading.enumerate()}
    with pytest.raises(AsrError, match="shut down"):
        engine.open_stream("late")


@pytest.mark.slow
def test_streaming_20ms_frames_gives_partials_then_the_one_shot_result(clips: Clips, ko_model: SharedModel) -> None:
    pcm = read_wav_as_telephone_pcm(clips.ko_twice_8k)
    one_shot = transcribe_pcm(pcm, ko_model, endpoint_silence_ms=600)
    with AsrEngine(ko_model, workers=2, queue_frames=5000, endpoint_silence_ms=600) as engine:
        stream = engine.open_stream("call-1")
        before_finish: list[AsrEvent] = []
        for i in range(0, len(pcm), FRAME_BYTES):
            stream.accept(pcm[i : i + FRAME_BYTES])
            before_finish += stream.poll()
        before_finish += _drain(stream)
        after_finish = stream.finish(timeout_s=WAIT_S)
        stats = stream.stats()
        stream.close()
    events = before_finish + after_finish
    partials = [e for e in before_finish if isinstance(e, AsrPartial)]
    finals = [e for e in events if isinstance(e, AsrFinal)]
    assert len(partials) >= 2
    assert partials[0].at_s < finals[0].end_s  # text came while the first utterance was still going
    assert [e for e in before_finish if isinstance(e, AsrFinal)]  # the first final came by endpointing, live
    assert len(finals) == 2
    assert tuple(finals) == one_shot.finals  # text, word times and confidences
    assert stats == one_shot.stats


def test_backpressure_marks_the_stream_lagging(clips: Clips, ko_model: SharedModel) -> None:
    pcm = read_wav_as_telephone_pcm(clips.ko_8k)
    with AsrEngine(ko_model, workers=1, queue_frames=10, endpoint_silence_ms=600) as engine:
        stream = engine.open_stream("call-overload")
        with pytest.raises(AsrOverloadError, match=r"call call-overload: ASR is .* behind real time"):
            stream.accept(pcm[: 11 * FRAME_BYTES])  # more than the bound in one go: refused outright
        assert stream.lagging
        with pytest.raises(AsrOverloadError, match="fail open"):
            stream.accept(pcm[:FRAME_BYTES])  # stays refused: its transcript would have a hole
        assert stream.finish(timeout_s=WAIT_S) == []  # nothing was accepted
        stream.close()

        flooded = engine.open_stream("call-flood")
        accepted = 0
        with pytest.raises(AsrOverloadError):  # 6 s of audio at once cannot be decoded in the time it takes
            for i in range(0, len(pcm), FRAME_BYTES):
                flooded.accept(pcm[i : i + FRAME_BYTES])
                accepted += 1
        assert flooded.lagging and 10 <= accepted < len(pcm) // FRAME_BYTES
        flooded.close()


@pytest.mark.slow
def test_streams_share_one_model(clips: Clips, ko_model: SharedModel) -> None:
    pcm = read_wav_as_telephone_pcm(clips.ko_8k)[: 3 * 8000 * 2]  # 3 s of speech per stream is enough
    n = 4
    with AsrEngine(ko_model, workers=2, queue_frames=5000, endpoint_silence_ms=600) as engine:
        before = rss_mb()
        streams = [engine.open_stream(f"call-{k}") for k in range(n)]
        for i in range(0, len(pcm), 8 * FRAME_BYTES):  # interleaved, as concurrent calls arrive
            for stream in streams:
                stream.accept(pcm[i : i + 8 * FRAME_BYTES])
            time.sleep(0.01)
        texts = [
            " ".join(e.text for e in _drain(s) + s.finish(timeout_s=WAIT_S) if isinstance(e, AsrFinal)) for s in streams
        ]
        grown = rss_mb() - before
        for stream in streams:
            stream.close()
    assert engine.model is ko_model
    assert texts[0] and texts == [texts[0]] * n  # concurrent streams on one model decode alike
    # A model per stream would add ~rss_growth_mb (≈500 MB) each; a recogniser on the shared model costs tens.
    assert grown < ko_model.rss_growth_mb, f"{n} streams grew RSS by {grown:.0f} MB"
    assert grown / n < ko_model.rss_growth_mb / 4


class _BrokenRecognizer(Recognizer):
    """Fault injection: a decoder that fails on its second batch."""

    calls = 0

    def feed(self, pcm16: bytes) -> list[AsrEvent]:
        type(self).calls += 1
        if type(self).calls > 1:
            raise AsrError("injected decoder failure")
        return super().feed(pcm16)


def test_a_failing_decoder_fails_its_stream_not_the_engine(
    clips: Clips, ko_model: SharedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    pcm = read_wav_as_telephone_pcm(clips.ko_8k)[: 50 * FRAME_BYTES]
    with AsrEngine(ko_model, workers=1, queue_frames=5000, endpoint_silence_ms=600) as engine:
        monkeypatch.setattr("asr.engine.Recognizer", _BrokenRecognizer)
        broken = engine.open_stream("call-broken")
        monkeypatch.undo()
        healthy = engine.open_stream("call-healthy")
        broken.accept(pcm[: 10 * FRAME_BYTES])
        _drain(broken)  # decoded: the next accept becomes a second batch, which fails
        broken.accept(pcm[10 * FRAME_BYTES : 20 * FRAME_BYTES])
        with pytest.raises(AsrError, match="injected decoder failure"):
            broken.finish(timeout_s=WAIT_S)
        with pytest.raises(AsrError, match="injected decoder failure"):
            broken.accept(pcm[:FRAME_BYTES])
        broken.close()
        healthy.accept(pcm)
        assert healthy.finish(timeout_s=WAIT_S) is not None  # the worker survived
        assert healthy.stats().duration_s == pytest.approx(1.0)
        healthy.close()
        with pytest.raises(AsrError, match="closed"):
            healthy.accept(pcm[:FRAME_BYTES])


def test_finish_twice_and_silence_only_stream(ko_model: SharedModel) -> None:
    with AsrEngine(ko_model, workers=1, queue_frames=50, endpoint_silence_ms=600) as engine:
        stream = engine.open_stream("call-silent")
        for _ in range(40):  # 0.8 s of silence in 20 ms frames, below the 1 s bound
            stream.accept(bytes(FRAME_BYTES))
        assert stream.finish(timeout_s=WAIT_S) == []
        assert stream.finish(timeout_s=WAIT_S) == []
        stats = stream.stats()
        assert (stats.duration_s, stats.speech_s, stats.first_speech_s) == (0.8, 0.0, None)
        assert not stream.lagging and stream.backlog_s == 0.0
        stream.close()
