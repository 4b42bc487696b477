"""Legitimate calls from sipp in the background, for tests that do something to the node *while* calls run.

:func:`tests.robustness.calls.place_legit_calls` blocks until sipp is done; a crash test needs sipp placing calls
at a steady rate while it kills and restarts the node. The scenario is the same e2e legit scenario (REFER to the
agents counts as reached), with its 40 s waits shortened so that a call the crash cut off fails in seconds.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port
from tests.robustness.calls import LEGIT_FROM, CallRun, _last_count, legit_scenario

WAIT_MS = 10_000  # REFER/BYE wait per call: a call cut off by a crash fails after this


@dataclass
class BackgroundCalls:
    """A running sipp; :meth:`result` waits for it and counts successful / failed calls."""

    calls: int
    process: subprocess.Popen[str]
    timeout_s: int

    def result(self) -> CallRun:
        try:
            out, err = self.process.communicate(timeout=self.timeout_s + 30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate(timeout=10)
        output = out + err
        successful = _last_count(output, "Successful call")
        failed = _last_count(output, "Failed call")
        if self.process.returncode == 0 and successful == 0:
            successful = self.calls
        return CallRun(self.calls, successful, failed, output[-4000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=10)


def start_legit_calls(
    tmp: Path, sip_port: int, sipp_port: int, calls: int, *, rate: float = 5, caller_from: str = LEGIT_FROM,
    hdr1: str = "X-Test: legit", audio: bytes | None = None, wait_ms: int = WAIT_MS, timeout_s: int = 180,
) -> BackgroundCalls:
    """Start sipp placing ``calls`` legitimate calls at ``rate`` per second; returns at once.

    ``audio`` (μ-law bytes) replaces the second of silence the caller streams, for content-screening tests."""
    scenario = legit_scenario(tmp)
    scenario.write_text(scenario.read_text().replace('timeout="40000"', f'timeout="{wait_ms}"'))
    if audio is not None:
        (tmp / "caller.raw").write_bytes(audio)
    keys = {"caller_from": caller_from, "hdr1": hdr1, "codec_pt": "0", "codec_name": "PCMU",
            "sink_port": str(free_port())}
    args = ["sipp", f"127.0.0.1:{sip_port}", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(sipp_port),
            "-mi", "127.0.0.1", "-mp", str(free_port()), "-s", "sales", "-m", str(calls), "-l", str(calls),
            "-r", str(max(1, round(rate * 10))), "-rp", "10000", "-nostdin", "-timeout", f"{timeout_s}s",
            "-timeout_error", "-recv_timeout", str(wait_ms), "-trace_stat", "-trace_err", "-fd", "1"]
    for key, value in keys.items():
        args += ["-key", key, value]
    process = subprocess.Popen(args, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL)
    return BackgroundCalls(calls, process, timeout_s)
