"""The capacity side of the recogniser: the VAD gate, the recogniser pool and admission control, with real Vosk.

The gate must not change what is heard: a clip whose silences are shorter than the pre-roll gives exactly the
ungated events (text and word times, which the gate maps back to stream time), while a silent or noisy open line
is never decoded at all. The pool must give a reused (reset) recogniser the same words as a fresh one.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from asr.audio import read_wav_as_telephone_pcm
from asr.engine import AsrEngine
from asr.errors import AsrCapacityError
from asr.events import BYTES_PER_SECOND, FRAME_BYTES, AsrEvent, AsrFinal
from asr.model import SharedModel
from asr.recognizer import CHUNK_BYTES, Recognizer
from asr.stream import EngineStream
from telephony.metrics import RecogniserPool
from tests.asr.conftest import Clips

pytestmark = pytest.mark.vosk

WAIT_S = 60.0


def _decode(model: SharedModel, pcm: bytes, *, gate: bool) -> tuple[list[AsrEvent], Recognizer]:
    rec = Recognizer(model, gate=gate)
    events: list[AsrEvent] = []
    for i in range(0, len(pcm), CHUNK_BYTES):
        events += rec.feed(pcm[i : i + CHUNK_BYTES])
    return events + rec.flush(), rec


def _finals(events: list[AsrEvent]) -> list[AsrFinal]:
    return [e for e in events if isinstance(e, AsrFinal)]


@pytest.fixture(scope="module")
def fresh_ko_finals(clips: Clips, ko_model: SharedModel) -> list[AsrFinal]:
    """What a fresh gated recogniser hears in the Korean clip, decoded once for the module: the reference for the
    pooled, reset and retired recognisers."""
    fresh = Recognizer(ko_model, gate=True)
    expected = _finals(fresh.feed(read_wav_as_telephone_pcm(clips.ko_8k)) + fresh.flush())
    assert expected and expected[0].words, "the clip must give words, or the test proves nothing"
    return expected


@pytest.mark.slow
def test_gate_keeps_the_words_and_their_times_and_skips_the_pauses(clips: Clips, ko_model: SharedModel) -> None:
    speech = read_wav_as_telephone_pcm(clips.ko_8k)
    pause = bytes(int(0.8 * BYTES_PER_SECOND))  # shorter than the pre-roll: the decoder sees all of it
    pcm = speech + pause + speech + bytes(2 * BYTES_PER_SECOND)
    ungated, _ = _decode(ko_model, pcm, gate=False)
    gated, rec = _decode(ko_model, pcm, gate=True)
    assert _finals(ungated), "the clip must give words, or the test proves nothing"
    assert _finals(gated) == _finals(ungated)  # text, word times and confidences
    assert rec.skipped_s >= 1.0  # the tail after the last utterance was not decoded


def test_gate_decodes_nothing_of_a_silent_or_noisy_line(clips: Clips, ko_model: SharedModel) -> None:
    # Brown noise wanders above the adaptive floor now and then; the VAD calls those bursts speech, so the gate
    # opens there with its pre-roll (the hallucinated words are still dropped) — a fifth of it is still skipped.
    for clip, share in ((clips.silence_8k, 1.0), (clips.white_noise_8k, 1.0), (clips.brown_noise_8k, 0.2)):
        pcm = read_wav_as_telephone_pcm(clip)
        events, rec = _decode(ko_model, pcm, gate=True)
        assert events == []
        duration = len(pcm) / BYTES_PER_SECOND
        assert rec.skipped_s >= share * duration - 0.1, f"{clip.name}: {rec.skipped_s:.1f} of {duration:.1f} s skipped"
        assert rec.stats().duration_s == pytest.approx(duration, abs=0.1)  # statistics still cover everything


def _stream_clip(stream: EngineStream, pcm: bytes) -> list[AsrEvent]:
    for i in range(0, len(pcm), FRAME_BYTES):
        stream.accept(pcm[i : i + FRAME_BYTES])
    return stream.poll() + stream.finish(timeout_s=WAIT_S)


@pytest.mark.slow
def test_pool_reuses_reset_recognisers_with_the_same_words(clips: Clips, ko_model: SharedModel) -> None:
    pcm = read_wav_as_telephone_pcm(clips.ko_8k)
    with AsrEngine(ko_model, workers=1, queue_frames=5000, endpoint_silence_ms=600, max_streams=2) as engine:
        texts = []
        for n in range(3):
            stream = engine.open_stream(f"call-{n}")
            texts.append([f.text for f in _finals(_stream_clip(stream, pcm))])
            stream.close()
        assert texts[0] and texts[0] == texts[1] == texts[2]
        assert engine.created == 1  # calls 2 and 3 took the first call's recogniser, reset
        assert engine.open_streams == 0


@pytest.mark.slow
def test_a_call_closed_before_its_final_result_leaves_nothing_for_the_next_caller(
    clips: Clips, ko_model: SharedModel, fresh_ko_finals: list[AsrFinal]
) -> None:
    """An early verdict, a fail-open or a hang-up closes the stream without a final result. The next caller on
    that pooled recogniser must be decoded as by a fresh one: same words, word times and confidences. Vosk's
    ``Reset()`` alone kept the first call's features and i-vector statistics (and their memory) for the next."""
    first_call = read_wav_as_telephone_pcm(clips.cmn_8k)
    pcm = read_wav_as_telephone_pcm(clips.ko_8k)
    expected = fresh_ko_finals
    with AsrEngine(ko_model, workers=1, queue_frames=5000, endpoint_silence_ms=600, max_streams=1) as engine:
        stream = engine.open_stream("early")
        for i in range(0, len(first_call), FRAME_BYTES):
            stream.accept(first_call[i : i + FRAME_BYTES])
        deadline = time.monotonic() + WAIT_S
        while stream.backlog_s > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        stream.close()  # no finish(): the call was decided (or ended) mid-utterance
        while engine.open_streams and time.monotonic() < deadline:
            time.sleep(0.01)
        second = engine.open_stream("next")
        assert engine.created == 1  # the early call's recogniser, back from the pool
        assert _finals(_stream_clip(second, pcm)) == expected
        second.close()


def test_admission_refuses_past_max_streams_and_frees_the_slot_on_close(ko_model: SharedModel) -> None:
    with AsrEngine(ko_model, workers=1, queue_frames=50, endpoint_silence_ms=600, max_streams=2) as engine:
        first, second = engine.open_stream("a"), engine.open_stream("b")
        with pytest.raises(AsrCapacityError, match="2 decoder slots"):
            engine.open_stream("c")
        first.accept(np.zeros(160, dtype="<i2").tobytes())
        first.close()
        first.close()  # idempotent: the slot is given back once (by the worker, if it was decoding)
        deadline = time.monotonic() + WAIT_S
        while engine.open_streams > 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        third = engine.open_stream("c")
        assert engine.open_streams == 2
        with pytest.raises(AsrCapacityError):
            engine.open_stream("d")
        second.close()
        third.close()
        assert engine.open_streams == 0


def test_admission_refuses_while_the_decoders_trail_real_time(clips: Clips, ko_model: SharedModel) -> None:
    """The measured capacity can be too high on a busy node: a backlog over ``admit_backlog_s`` refuses too."""
    speech = read_wav_as_telephone_pcm(clips.ko_8k)
    with AsrEngine(ko_model, workers=1, queue_frames=5000, endpoint_silence_ms=600, max_streams=10,
                   admit_backlog_s=1.0) as engine:
        busy = engine.open_stream("busy")
        for _ in range(3):  # ≈ 12 s of audio at once: far more than a worker decodes in the next moment
            busy.accept(speech)
        with pytest.raises(AsrCapacityError, match="behind real time"):
            engine.open_stream("newcomer")
        busy.finish(timeout_s=WAIT_S)  # the decoder catches up
        engine.open_stream("later").close()
        busy.close()


def test_prewarmed_pool_serves_the_first_calls(clips: Clips, ko_model: SharedModel) -> None:
    """A new node fills its pool in the background, so its first calls do not each build a recogniser."""
    pcm = read_wav_as_telephone_pcm(clips.ko_8k)
    told: list[tuple[int, bool]] = []
    warm = threading.Event()

    def on_prewarmed(warmed: int, failed: bool) -> None:  # what `serve` reports readiness from
        told.append((warmed, failed))
        warm.set()

    with AsrEngine(ko_model, workers=1, queue_frames=5000, endpoint_silence_ms=600, max_streams=2,
                   prewarm=2, on_prewarmed=on_prewarmed) as engine:  # fmt: skip
        assert warm.wait(WAIT_S) and told == [(2, False)]
        first, second = engine.open_stream("a"), engine.open_stream("b")
        assert engine.created == 2  # both taken from the pool
        fresh = Recognizer(ko_model)
        expected = [f.text for f in _finals(fresh.feed(pcm) + fresh.flush())]
        assert [f.text for f in _finals(_stream_clip(first, pcm))] == expected  # the warming left no trace
        first.close()
        second.close()


@pytest.mark.slow
def test_a_recogniser_past_its_audio_bound_is_retired_and_the_next_call_is_still_decoded(
    clips: Clips, ko_model: SharedModel, fresh_ko_finals: list[AsrFinal]
) -> None:
    """``retire_after_s``: a pooled recogniser that has decoded that much audio is not reset for the next call but
    freed (its graph cache with it) and replaced by a fresh, warmed one on the ``asr-retire`` thread; the next call
    gets the same words, word times and confidences as from a fresh recogniser, and no thread outlives the engine."""
    pcm = read_wav_as_telephone_pcm(clips.ko_8k)
    expected = fresh_ko_finals
    clip_s = len(pcm) / BYTES_PER_SECOND
    bound_s = 2 * clip_s  # decoded audio, gate included: the first call stays under it, the second passes it
    with AsrEngine(ko_model, workers=1, queue_frames=5000, endpoint_silence_ms=600, max_streams=1,
                   retire_after_s=bound_s) as engine:
        assert "asr-retire" in {t.name for t in threading.enumerate()}
        results = []
        for n in range(2):
            stream = engine.open_stream(f"call-{n}")
            results.append(_finals(_stream_clip(stream, pcm)))
            stream.close()
            assert engine.wait_retirements(WAIT_S)
            assert (engine.created, engine.retired) == ((1, 0) if n == 0 else (2, 1))  # n=1: freed, one warmed
        assert results[0] == expected  # the first call reused nothing
        third = engine.open_stream("after-retirement")
        assert engine.created == 2  # it took the warmed replacement from the pool, it did not build one
        assert isinstance(engine, RecogniserPool) and engine.pooled == 0  # what /metrics reads
        assert _finals(_stream_clip(third, pcm)) == expected
        third.close()
        assert engine.open_streams == 0
    assert not {"asr-retire", "asr-worker-1"} & {t.name for t in threading.enumerate()}


def test_retired_recognisers_are_freed_not_queued_after_close(ko_model: SharedModel) -> None:
    """A stream released after the engine closed drops its recogniser there: nothing waits for a stopped thread."""
    engine = AsrEngine(ko_model, workers=1, queue_frames=50, endpoint_silence_ms=600, retire_after_s=0.1,
                       vad_gate=False)  # ungated: the silence is decoded, so the stream passes the bound
    stream = engine.open_stream("late")
    stream.accept(bytes(int(0.5 * BYTES_PER_SECOND)))
    stream.finish(timeout_s=WAIT_S)
    engine.close()
    stream.close()
    assert engine.retired == 0  # past the bound, but not handed to the stopped asr-retire thread
    assert engine.wait_retirements(0)
    assert engine.open_streams == 0


class _HeardAt:
    """A gate VAD that hears speech from ``start_s`` on (never, with None): what opens the gate, and nothing else."""

    def __init__(self, start_s: float | None) -> None:
        self._start_s = start_s
        self._fed_s = 0.0

    def add(self, pcm16: bytes) -> None:
        self._fed_s += len(pcm16) / BYTES_PER_SECOND

    def last_speech_end_s(self) -> float | None:
        return None if self._start_s is None or self._fed_s <= self._start_s else self._fed_s


def test_the_gate_vad_decides_what_is_decoded_and_the_energy_vad_which_words_count(
    clips: Clips, ko_model: SharedModel
) -> None:
    """``gate_vad`` replaces only the VAD that opens the gate (bench/vad_compare.py measures library VADs there):
    one that never hears speech keeps even speech from the decoder, one that always does lets a silent line through,
    and the words heard in that silence are still dropped by the stream's energy VAD."""
    speech = read_wav_as_telephone_pcm(clips.ko_8k)
    deaf = Recognizer(ko_model, gate=True, gate_vad=_HeardAt(None))
    assert deaf.feed(speech) + deaf.flush() == []
    assert deaf.skipped_s == pytest.approx(len(speech) // CHUNK_BYTES * CHUNK_BYTES / BYTES_PER_SECOND, abs=0.11)
    assert deaf.stats().speech_s > 1.0  # the energy VAD still heard the speech: statistics are not the gate's
    silence = read_wav_as_telephone_pcm(clips.white_noise_8k)
    always = Recognizer(ko_model, gate=True, gate_vad=_HeardAt(0.0))
    assert always.feed(silence) + always.flush() == []
    assert always.skipped_s <= 0.1  # at most the first piece, before it heard anything
    energy = Recognizer(ko_model, gate=True)
    energy.feed(silence)
    assert energy.skipped_s > always.skipped_s + 1.0


@pytest.mark.slow
def test_gate_keeps_the_words_of_speech_after_a_short_noisy_lead(clips: Clips, ko_model: SharedModel) -> None:
    """Line noise before the first words, shorter than the pre-roll: the decoder must see it exactly as ungated —
    in the same pieces, because Vosk's words depend on how the audio is cut: one 0.5 s piece in place of five 0.1 s
    pieces changed them under noise (bench/vad_compare.py: 2–4 of 8 calls at 20 and 10 dB SNR)."""
    rng = np.random.default_rng(7)
    for clip in (clips.ko_8k, clips.cmn_8k):
        speech = np.frombuffer(read_wav_as_telephone_pcm(clip), dtype="<i2").astype(np.float64)
        voice = np.concatenate([np.zeros(int(0.4 * 8000)), speech, np.zeros(2 * 8000)])
        noisy = voice + rng.standard_normal(len(voice)) * 0.01 * 32768  # white noise at -40 dBFS
        pcm = np.clip(np.rint(noisy), -32768, 32767).astype("<i2").tobytes()
        ungated, _ = _decode(ko_model, pcm, gate=False)
        gated, rec = _decode(ko_model, pcm, gate=True)
        assert _finals(ungated), "the clip must give words, or the test proves nothing"
        assert _finals(gated) == _finals(ungated), clip.name
        assert rec.skipped_s >= 1.0
