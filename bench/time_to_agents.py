"""Time to agents: how long a legitimate caller who states his business at once waits for the REFER, old vs new.

    .venv/bin/python bench/time_to_agents.py --old /work/wt-old [--calls 50] [--rate 1] [--png docs/time_to_agents.png]

A real node per run (``tests.e2e.harness.start_loopback``: real SIP, RTP, G.711, call flow, screening engine with
its rules and model), real sipp callers (``uac-legit-expect-refer``, each call from its own number) streaming
espeak-ng Mandarin. The ASR boundary is the replay recogniser (``tests/telephony/replay_recognizer.py``): no
Mandarin model exists on this machine and the Korean model cannot transcribe Mandarin, so the caller's business
sentence is "recognised" after ``--speak-s`` seconds of caller audio reached the node — the time a caller takes
to say it. sipp measures, per call, 200 OK (the caller starts speaking) → REFER received (the agents are being
rung), with its response-time counters (``-trace_rtt``). The same script runs against another checkout
(``--old``: e.g. the commit before this session in a git worktree, with its own venv) in the same run, halves
interleaved (old, new, old, new) so the shared machine's load hits both alike. Bounded: ``-m`` calls and a
sipp ``-timeout`` per half. Writes the medians to stdout and a box plot (matplotlib) to ``--png``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
RTD = "2"  # sipp response-time counter: 200 OK → REFER


def node_half(repo: Path, calls: int, rate: float, speak_s: float, listen_s: float, out: Path) -> None:
    """Runs inside ``repo``'s venv: a node with the replay ASR, ``calls`` sipp callers; writes seconds to ``out``."""
    sys.path.insert(0, str(repo))
    from tests.conftest import free_port
    from tests.e2e.harness import LEGIT_TEXT, SCENARIOS, make_caller_audio, start_loopback
    from tests.telephony.replay_recognizer import Utterance

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        loop = start_loopback(tmp, (Utterance(speak_s, LEGIT_TEXT),), screening={"listen_timeout_s": listen_s})
        try:
            make_caller_audio(tmp, LEGIT_TEXT, "PCMU")
            body = (SCENARIOS / "uac-legit-expect-refer.xml").read_text()
            body = body.replace('rtp_stream="caller.raw,-1,[codec_pt]"', 'rtp_stream="caller.raw,-1,0"')
            body = body.replace('<recv response="200" rtd="true">',
                                f'<recv response="200" rtd="true" start_rtd="{RTD}">')
            body = body.replace('<recv request="REFER"', f'<recv request="REFER" rtd="{RTD}"', 1)
            body = body.replace("[caller_from]", '"Caller" <sip:[field0]@carrier.example>')
            (tmp / "scenario.xml").write_text(body)
            numbers = [f"139{i:08d};" for i in range(1, calls + 1)]
            (tmp / "numbers.csv").write_text("SEQUENTIAL\n" + "\n".join(numbers) + "\n")
            args = ["sipp", f"127.0.0.1:{loop.sip_port}", "-sf", "scenario.xml", "-inf", "numbers.csv",
                    "-i", "127.0.0.1", "-p", str(loop.sipp_port), "-mi", "127.0.0.1", "-mp", str(free_port()),
                    "-s", "sales", "-m", str(calls), "-l", "20", "-r", f"{rate:g}", "-nostdin",
                    "-timeout", f"{int(calls / rate + listen_s + 60)}s", "-timeout_error", "-trace_rtt",
                    "-rtt_freq", "1", "-key", "hdr1", "X-Bench: time-to-agents", "-key", "codec_pt", "0",
                    "-key", "codec_name", "PCMU", "-key", "sink_port", str(free_port())]
            done = subprocess.run(args, cwd=tmp, capture_output=True, text=True, timeout=calls / rate + 180)
            seconds = []
            for rtt in tmp.glob("*_rtt.csv"):
                for row in csv.DictReader(rtt.open(), delimiter=";"):  # Date_ms;response_time_ms;rtd_no
                    fields = {key.strip().lower(): (value or "").strip() for key, value in row.items() if key}
                    if fields.get("rtd_no", "").split(" ")[-1] == RTD:
                        seconds.append(float(fields["response_time_ms"]) / 1000)
            out.write_text(json.dumps({"seconds": seconds, "sipp_exit": done.returncode}))
        finally:
            loop.service.stop()


def run_half(repo: Path, calls: int, args: argparse.Namespace) -> tuple[list[float], int]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    cmd = [str(repo / ".venv/bin/python"), str(Path(__file__).resolve()), "--half", str(repo), "--calls", str(calls),
           "--rate", str(args.rate), "--speak-s", str(args.speak_s), "--listen", str(args.listen), "--out", str(out)]
    subprocess.run(cmd, check=True, cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)}, timeout=3600,
                   stdout=subprocess.DEVNULL)
    result = json.loads(out.read_text())
    out.unlink()
    return list(result["seconds"]), int(result["sipp_exit"])


def plot(results: dict[str, list[float]], png: Path, speak_s: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(results)
    ax.boxplot([results[n] for n in names], tick_labels=names, orientation="horizontal")
    ax.axvline(4.0, color="red", linestyle="--", label="target: 4 s after starting to speak")
    ax.axvline(speak_s, color="grey", linestyle=":", label=f"caller has stated the business ({speak_s:g} s)")
    ax.set_xlabel("seconds from answer (caller starts speaking) to REFER to the agents")
    ax.set_title(f"Time to agents, legitimate callers (n = {min(len(v) for v in results.values())} per engine)")
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, help="checkout of the engine to compare with (its own .venv)")
    parser.add_argument("--calls", type=int, default=50, help="calls per engine (split in two interleaved halves)")
    parser.add_argument("--rate", type=float, default=1.0, help="new calls per second")
    parser.add_argument("--speak-s", type=float, default=2.5, help="caller audio until the business is stated")
    parser.add_argument("--listen", type=float, default=8.0, help="screening.listen_timeout_s (the default)")
    parser.add_argument("--png", type=Path, default=HERE / "docs" / "time_to_agents.png")
    parser.add_argument("--half", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.half is not None:
        node_half(args.half, args.calls, args.rate, args.speak_s, args.listen, args.out)
        return
    engines = {"new": HERE} | ({"old": args.old.resolve()} if args.old else {})
    results: dict[str, list[float]] = {name: [] for name in engines}
    exits: dict[str, list[int]] = {name: [] for name in engines}
    first = args.calls // 2
    for calls in (first, args.calls - first):
        for name in sorted(engines, reverse=True):  # old first in each round
            seconds, code = run_half(engines[name], calls, args)
            results[name] += seconds
            exits[name].append(code)
            print(f"{name}: {len(seconds)} REFERs timed, sipp exit {code}", flush=True)
    for name, seconds in results.items():
        if seconds:
            within = sum(s <= 4.0 for s in seconds)
            print(f"{name}: n={len(seconds)} median {statistics.median(seconds):.2f} s, "
                  f"p90 {statistics.quantiles(seconds, n=10)[-1]:.2f} s, max {max(seconds):.2f} s, "
                  f"≤ 4 s: {within}/{len(seconds)}; sipp exits {exits[name]}")
    plot({n: v for n, v in results.items() if v}, args.png, args.speak_s)
    print(f"plot: {args.png}")


if __name__ == "__main__":
    main()
