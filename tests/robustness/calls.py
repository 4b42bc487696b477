"""Placing legitimate calls with sipp at a running node, the way a PBX would, and counting what reached the agents.

A call counts as *reached the agents* when callscreen blind-transferred it: sipp (acting as caller and PBX) got a
REFER to the agents URI, answered 202 + NOTIFY 200 and then the BYE — the `uac-legit-expect-refer` scenario.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, free_port

SCENARIO = REPO / "tests" / "e2e" / "scenarios" / "uac-legit-expect-refer.xml"
LEGIT_FROM = '"Caller" <sip:13812345678@carrier.example>'


@dataclass(frozen=True)
class CallRun:
    calls: int
    successful: int
    failed: int
    output: str

    @property
    def dropped(self) -> int:
        return self.calls - self.successful


def legit_scenario(tmp: Path) -> Path:
    """The e2e legit scenario with its payload type filled in (sipp 3.6 does not substitute keys inside
    ``rtp_stream``) and a second of μ-law silence as the caller's audio: in caller-ID mode no words are needed."""
    (tmp / "caller.raw").write_bytes(b"\xff" * 8000)
    path = tmp / "uac-legit-pcmu.xml"
    text = SCENARIO.read_text().replace('rtp_stream="caller.raw,-1,[codec_pt]"', 'rtp_stream="caller.raw,-1,0"')
    path.write_text(text)
    return path


def place_legit_calls(
    tmp: Path, sip_port: int, sipp_port: int, calls: int, *, rate: int = 5, caller_from: str = LEGIT_FROM,
    source_ip: str = "127.0.0.1", timeout_s: int = 120,
) -> CallRun:
    scenario = legit_scenario(tmp)
    keys = {"caller_from": caller_from, "hdr1": "X-Test: legit", "codec_pt": "0", "codec_name": "PCMU",
            "sink_port": str(free_port())}
    args = ["sipp", f"127.0.0.1:{sip_port}", "-sf", str(scenario), "-i", source_ip, "-p", str(sipp_port),
            "-mi", source_ip, "-mp", str(free_port()), "-s", "sales", "-m", str(calls), "-l", str(calls),
            "-r", str(rate), "-nostdin", "-timeout", f"{timeout_s}s", "-timeout_error", "-trace_stat",
            "-trace_err", "-fd", "1"]
    for key, value in keys.items():
        args += ["-key", key, value]
    result = subprocess.run(args, cwd=tmp, capture_output=True, text=True, timeout=timeout_s + 30, check=False)
    output = result.stdout + result.stderr
    successful = _last_count(output, "Successful call")
    failed = _last_count(output, "Failed call")
    if result.returncode == 0 and successful == 0:
        successful = calls
    return CallRun(calls, successful, failed, output[-4000:])


def _last_count(text: str, label: str) -> int:
    counts = re.findall(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", text)
    return int(counts[-1]) if counts else 0
