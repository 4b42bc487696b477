"""RTP media figures: G.711 speed, N concurrent RtpSessions on loopback (CPU, RSS, threads, send pacing), and
memory under a hostile timestamp-jump flood.

    .venv/bin/python bench/rtp_bench.py [--calls 10 25 50] [--seconds 5]

Each call: a peer socket streams 20 ms PCMU packets into the session (one shared sender thread on an absolute
schedule) while the session sends its own paced stream back; a reader thread per call drains received frames.
"""

from __future__ import annotations

import argparse
import resource
import selectors
import socket
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telephony.media import Codec, MediaParams
from telephony.rtp import RtpPortPool, RtpSession
from telephony.rtp.codecs import PcmaCodec, PcmuCodec
from telephony.rtp.packet import RtpPacket


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_g711() -> None:
    pcm = (np.random.default_rng(1).normal(0, 3000, 8000 * 60)).astype("<i2").tobytes()  # 60 s of audio
    for codec in (PcmuCodec(), PcmaCodec()):
        t0 = time.perf_counter()
        encoded = codec.encode(pcm)
        t1 = time.perf_counter()
        codec.decode(encoded)
        t2 = time.perf_counter()
        frame = pcm[:320]
        t3 = time.perf_counter()
        for _ in range(10000):
            codec.decode(codec.encode(frame))
        t4 = time.perf_counter()
        print(
            f"{codec.name}: encode {60 / (t1 - t0):,.0f}x realtime, decode {60 / (t2 - t1):,.0f}x realtime; "
            f"one 20 ms frame encode+decode {(t4 - t3) / 10000 * 1e6:.1f} µs"
        )


def bench_calls(calls: int, seconds: float) -> None:
    pool = RtpPortPool(31000, 33000, host="127.0.0.1")
    peers, sessions = [], []
    for i in range(calls):
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer.bind(("127.0.0.1", 0))
        params = MediaParams("127.0.0.1", pool.acquire(), "127.0.0.1", peer.getsockname()[1], Codec.PCMU)
        sessions.append(RtpSession(params, name=f"call-{i}"))
        peers.append(peer)
    rss0, threads0 = rss_mb(), threading.active_count()
    cpu0, wall0 = time.process_time(), time.monotonic()
    for s in sessions:
        s.start()
        s.play(b"\x10\x00" * 8000 * int(seconds))
    stop = threading.Event()
    frames_read = [0] * calls

    def reader(i: int) -> None:
        while not stop.is_set():
            if sessions[i].read(0.2) is not None:
                frames_read[i] += 1

    arrivals: list[list[float]] = [[] for _ in range(calls)]

    def capture() -> None:
        sel = selectors.DefaultSelector()
        for i, p in enumerate(peers):
            sel.register(p, selectors.EVENT_READ, i)
        while not stop.is_set():
            for key, _ in sel.select(0.1):
                key.fileobj.recv(2048)  # type: ignore[union-attr]
                arrivals[key.data].append(time.monotonic())

    workers = [threading.Thread(target=reader, args=(i,)) for i in range(calls)] + [threading.Thread(target=capture)]
    for w in workers:
        w.start()
    payload = b"\x55" * 160
    start = time.monotonic()
    n_packets = int(seconds / 0.02)
    for n in range(n_packets):
        for i, (peer, s) in enumerate(zip(peers, sessions, strict=True)):
            pkt = RtpPacket(0, n % 65536, n * 160, 1000 + i, payload).serialize()
            peer.sendto(pkt, ("127.0.0.1", s.params.local_port))
        delay = start + (n + 1) * 0.02 - time.monotonic()
        if delay > 0:
            stop.wait(delay)
    time.sleep(0.5)
    threads_mid, rss_mid = threading.active_count(), rss_mb()
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    stop.set()
    for w in workers:
        w.join()
    stats = [s.stats for s in sessions]
    for s in sessions:
        s.stop()
        pool.release(s.params.local_port)
    for p in peers:
        p.close()
    gaps = np.concatenate([np.diff(a) for a in arrivals if len(a) > 1]) * 1000
    received = sum(st.packets_received for st in stats)
    print(
        f"calls={calls:3d}  rx {received}/{calls * n_packets} pkts, frames read {sum(frames_read)}, "
        f"lost {sum(st.lost for st in stats)}, overflow {sum(st.rx_overflow for st in stats)} | "
        f"CPU {100 * cpu / wall:.0f}% of one core ({100 * cpu / wall / calls:.2f}%/call, incl. bench peers) | "
        f"threads +{threads_mid - threads0 - calls - 1} ({(threads_mid - threads0 - calls - 1) / calls:.0f}/call) | "
        f"RSS +{rss_mid - rss0:.1f} MB ({(rss_mid - rss0) / calls * 1024:.0f} KB/call) | "
        f"tx gap mean {gaps.mean():.2f} ms p99 {np.percentile(gaps, 99):.1f} ms max {gaps.max():.1f} ms"
    )


def bench_flood(packets: int = 20000) -> None:
    from telephony.rtp.jitter import JitterBuffer

    jb = JitterBuffer(16)
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    t0 = time.perf_counter()
    for i in range(packets):
        jb.push(RtpPacket(0, (40 * i) % 65536, (2**31 + 2**28 * i) % 2**32, 1, b"\xff" * 160))
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"flood: {packets} far-ahead packets with 2^31 timestamp jumps -> peak +{(peak - base) / 1024:.1f} KiB, "
        f"held {len(jb)} (capacity {jb.capacity}), {dt / packets * 1e6:.1f} µs/packet"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, nargs="*", default=[10, 25, 50])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {len(__import__('os').sched_getaffinity(0))} CPUs")
    bench_g711()
    bench_flood()
    for n in args.calls:
        bench_calls(n, args.seconds)
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
