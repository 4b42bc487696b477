"""SIP front door at a steady call rate in caller-ID mode: sipp places N new calls per second into `callscreen serve`.

    .venv/bin/python bench/sip_rate.py [--rate 50] [--seconds 60] [--max-calls 50] [--answer-delay-ms 200]

Issue 14's acceptance: "sipp at 50 new calls/s for 60 s in caller-ID mode: 0 failed calls". The node runs with
no ASR model (caller-ID/time screening: content screening off), so every call is decided before it is answered
and then routed: answered, REFERred to the agents (sipp plays the PBX: 202 + NOTIFY 200), BYE. sipp streams the
caller's audio as RTP all the same. sipp's address (127.0.0.1) is configured as the node's trunk peer
(``sip.peers``), as a PBX or carrier trunk is: the per-source flood limit for strangers does not apply to it.
Every call comes from its own number in its own number range (an injection file), as a carrier's traffic does:
one number, or one range, calling 50 times a second is a burst the screening rightly treats as such, and its
history look-ups then return thousands of earlier calls.

Prints sipp's counts (created / successful / failed, peak simultaneous calls), the node's call records (one per
call: a lost record is a failure too), every 503/refusal the node logged, INVITE → REFER accepted and INVITE →
call done from its log, the node's CPU and peak RSS/threads, and the load average. Bounded: ``-m rate × seconds``
calls, sipp's ``-timeout``, and a wall-clock guard; everything stops by itself.
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.sip_concurrency import proc_sample  # noqa: E402
from bench.sustained_load import (  # noqa: E402
    SIPP_WATCHDOG,
    _commit,
    _interrupted,
    call_timelines,
    caller,
    percentiles,
    sipp_summary,
)
from records.database import Database  # noqa: E402
from records.repository_calls import CallFilter, query_calls  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.e2e.harness import LEGIT_TEXT  # noqa: E402
from tests.harness import ServiceProcess  # noqa: E402

RECORDS_WAIT_S = 30.0  # records are written after each call ends: wait until all are in, or this long


def start_sipp(home: Path, sip_port: int, rate: float, calls: int, limit: int, timeout_s: int) -> subprocess.Popen[str]:
    args = [
        "sipp", f"127.0.0.1:{sip_port}", "-sf", "scenario.xml", "-inf", "numbers.csv", "-i", "127.0.0.1",
        "-p", str(free_port()), "-mi", "127.0.0.1", "-mp", str(free_port()), "-s", "sales",
        "-m", str(calls), "-l", str(limit), "-r", f"{rate:g}", "-rp", "1000", "-nostdin",
        "-cid_str", "c%ux%p@%s", "-timeout", f"{timeout_s}s", "-timeout_error", "-trace_err", "-fd", "5",
        *SIPP_WATCHDOG,
        "-key", "hdr1", "X-Bench: rate", "-key", "codec_pt", "0", "-key", "codec_name", "PCMU",
        "-key", "sink_port", str(free_port()),
    ]  # fmt: skip
    out = (home / "sipp.out").open("w")
    return subprocess.Popen(args, cwd=home, stdout=out, stderr=subprocess.STDOUT, text=True)


def wait_records(db_path: Path, expected: int) -> list[object]:
    """The node's call records once ``expected`` are written (or after RECORDS_WAIT_S: what is there)."""
    deadline = time.monotonic() + RECORDS_WAIT_S
    while True:
        db = Database(f"sqlite:///{db_path}")
        with db.session() as session:
            rows, _ = query_calls(session, CallFilter(), limit=1_000_000)
        db.engine.dispose()
        if len(rows) >= expected or time.monotonic() > deadline:
            return list(rows)
        time.sleep(1.0)


def print_latencies(log_text: str) -> None:
    """Per call from the node's log: INVITE → REFER accepted (the PBX's NOTIFY 200) and INVITE → call done."""
    spans: dict[str, list[float]] = {"INVITE → REFER accepted": [], "INVITE → call done": []}
    for call in call_timelines(log_text).values():
        for label, mark in (("INVITE → REFER accepted", "transferred"), ("INVITE → call done", "done")):
            if "invite" in call and mark in call:
                spans[label].append((call[mark] - call["invite"]).total_seconds())
    print("| span (node log, s) | n | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|")
    for label, values in spans.items():
        percentiles(label, values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="new calls per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long calls are placed")
    parser.add_argument("--max-calls", type=int, help="sip.max_calls (default: the node's own)")
    parser.add_argument("--answer-delay-ms", type=int, help="sip.answer_delay_ms (default: the node's own)")
    parser.add_argument("--limit", type=int, default=1000, help="sipp's own cap on simultaneous calls (-l)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (log, DB, sipp output)")
    args = parser.parse_args()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _interrupted)
    calls = math.ceil(args.rate * args.seconds)
    timeout_s = int(args.seconds + 60)
    work = Path(tempfile.mkdtemp(prefix="sip-rate-"))
    print(
        f"# sip_rate: {args.rate:g} new calls/s for {args.seconds:g} s ({calls} calls), caller-ID mode (no ASR "
        f"model), sip.max_calls {args.max_calls or 'default'}, answer delay {args.answer_delay_ms} ms, commit "
        f"{_commit()}, cores {os.cpu_count()}, load at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"work dir {work}",
        flush=True,
    )
    home = caller(work, "caller", LEGIT_TEXT, "uac-legit-expect-refer.xml", "139", calls)
    # 139 + a 4-digit range + 4 digits: the range (all but the last 4 digits, screening.burst_drop_digits) differs
    numbers = [f"139{n:04d}{n * 7919 % 10000:04d};" for n in range(1, calls + 1)]
    (home / "numbers.csv").write_text("SEQUENTIAL\n" + "\n".join(numbers) + "\n")
    rtp_min = 40000 + free_port() % 1000 * 2
    env = {
        "CALLSCREEN_LOG_LEVEL": "INFO",
        "CALLSCREEN_SIP_PEERS": '["127.0.0.1"]',  # sipp is the trunk peer, as the PBX would be
        "CALLSCREEN_SIP_AGENTS_URI": "sip:agents@127.0.0.1:5999",
        "CALLSCREEN_RTP_PORT_MIN": str(rtp_min),
        "CALLSCREEN_RTP_PORT_MAX": str(rtp_min + 8000),
    }
    if args.max_calls is not None:
        env["CALLSCREEN_SIP_MAX_CALLS"] = str(args.max_calls)
    if args.answer_delay_ms is not None:
        env["CALLSCREEN_SIP_ANSWER_DELAY_MS"] = str(args.answer_delay_ms)
    node = ServiceProcess(work / "node", env=env)
    node.start()
    assert node.process is not None
    pid = node.process.pid
    cpu0, rss0, threads0 = proc_sample(pid)
    peak_rss, peak_threads = rss0, threads0
    started = time.monotonic()
    sipp = start_sipp(home, node.sip_port, args.rate, calls, args.limit, timeout_s)
    try:
        deadline = started + timeout_s + 30
        while sipp.poll() is None and time.monotonic() < deadline:
            _, rss, threads = proc_sample(pid)
            peak_rss, peak_threads = max(peak_rss, rss), max(peak_threads, threads)
            time.sleep(0.25)
        wall = time.monotonic() - started
        rows = wait_records(node.workdir / "var" / "callscreen.db", calls)
        cpu1, rss1, threads1 = proc_sample(pid)
    finally:
        if sipp.poll() is None:
            sipp.kill()
        sipp.wait(timeout=10)
        node.stop()
    print(f"load at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}; sipp ran {wall:.1f} s")
    print("\n## caller (sipp)")
    sipp_summary("sipp", home, sipp, calls)
    routes = collections.Counter(f"{r.route.value}/{r.end_reason}" for r in rows)  # type: ignore[attr-defined]
    print(f"\n## node: {len(rows)} call records for {calls} calls placed; routes/end: {dict(routes)}")
    log_text = node.log_path.read_text(errors="replace")
    refusals = collections.Counter(
        m.group(1) for m in re.finditer(r" (\d{3}) to INVITE|refus\w* .*?(?=:|$)", log_text) if m.group(1)
    )
    warnings = collections.Counter(
        line.split(": ", 1)[0].split()[-1] for line in log_text.splitlines() if " WARNING " in line or " ERROR " in line
    )
    print(f"refusals by status: {dict(refusals)}; WARNING/ERROR lines by logger: {dict(warnings)}")
    print_latencies(log_text)
    print(
        f"node CPU {cpu1 - cpu0:.1f} s over {wall:.0f} s ({1000 * (cpu1 - cpu0) / calls:.1f} ms/call); RSS "
        f"{rss0:.0f} → peak {peak_rss:.0f} → {rss1:.0f} MB; threads {threads0} → peak {peak_threads} → {threads1}"
    )
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
