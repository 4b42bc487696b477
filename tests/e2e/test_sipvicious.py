"""A SIPVicious scan (Debian's svmap, svwar, svcrack) from a non-peer loopback address against a real node.

What a call center's public SIP port meets every day. The node (``callscreen serve`` in trunk mode, peers =
127.0.0.1) must leak no extension and accept no password, ban the scanning address within seconds (the stranger
rate is far below a peer's), write a bounded number of log lines however many requests arrive (refusals are
summarised per source per interval), and show the ban in ``/metrics``.

Debian's SIPVicious 0.3.3 accepts ``-b`` (binding address) but its tools do not pass it on to the socket, so the
scan leaves from 127.0.0.1 whatever is asked; the node's only peer is therefore 127.0.0.9, which makes 127.0.0.1
the non-peer loopback address here. The tools are still told ``-b/-x 127.0.0.2``, which ends up only in their Via.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.harness import ServiceProcess

pytestmark = [pytest.mark.sip]
SCANNER = "127.0.0.1"  # where the scan comes from (see the module docstring); the node's only peer is PEER
PEER = "127.0.0.9"
SCAN_TIMEOUT_S = 40


def _metric(node: ServiceProcess, name: str) -> float:
    with urllib.request.urlopen(f"{node.api}/metrics", timeout=5) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _log_lines(node: ServiceProcess) -> int:
    return len(node.log_path.read_text(errors="replace").splitlines())


def _scan(tool: str, *args: str, cwd: Path) -> str:
    """Run one SIPVicious tool; bounded in time (killed when it keeps waiting for replies that never come)."""
    command = [tool, "-b", "127.0.0.2", "-x", "127.0.0.2", *args]
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=SCAN_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
        return done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        return out.decode() if isinstance(out, bytes) else out


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ServiceProcess]:
    for tool in ("svmap", "svwar", "svcrack"):
        require_tool(tool)
    service = ServiceProcess(tmp_path, env={"CALLSCREEN_SIP_PEERS": f'["{PEER}"]',
                                            "CALLSCREEN_SIP_FLOOD_BAN_S": "300"})
    try:
        yield service.start()
    finally:
        service.stop()


def test_sipvicious_learns_nothing_and_is_banned_quickly(node: ServiceProcess, tmp_path: Path) -> None:
    lines_before = _log_lines(node)
    assert _metric(node, "callscreen_sip_bans_total") == 0
    port = str(node.sip_port)
    home = tmp_path / "scanner"
    home.mkdir()
    outputs: dict[str, str] = {}
    war_started: list[float] = []

    def scan() -> None:
        outputs["svmap"] = _scan("svmap", "-p", port, "127.0.0.1", cwd=home)
        war_started.append(time.monotonic())  # the fast part of the scan starts here
        outputs["svwar"] = _scan("svwar", "-p", port, "-m", "INVITE", "-e", "100-999", "127.0.0.1", cwd=home)
        outputs["svcrack"] = _scan("svcrack", "-p", port, "-u", "100", "-r", "1000-1999", "127.0.0.1", cwd=home)

    scanner = threading.Thread(target=scan, daemon=True)
    scanner.start()
    banned_after = None
    while scanner.is_alive():
        if banned_after is None and war_started and _metric(node, "callscreen_sip_bans_total") >= 1:
            banned_after = time.monotonic() - war_started[0]
        time.sleep(0.1)
    report = "\n".join(f"--- {k}\n{v[-1500:]}" for k, v in outputs.items())
    assert banned_after is not None and banned_after < 5.0, report

    # svwar prints a table row "| 100 | reqauth |" for every extension it learns; svcrack "| 100 | 1234 |".
    assert not re.search(r"^\|\s*\d{3,}\s*\|", outputs["svwar"], flags=re.M), report
    assert not re.search(r"^\|\s*100\s*\|\s*\d+\s*\|", outputs["svcrack"], flags=re.M), report
    log = node.log_path.read_text(errors="replace")
    assert log.count(f"SIP source {SCANNER} banned") == 1, log[-3000:]
    assert _log_lines(node) - lines_before <= 12, log[-3000:]  # a first-refusal line, the ban, summaries
    assert _metric(node, "callscreen_sip_bans_total") == 1
    assert _metric(node, "callscreen_sip_refused_total") >= 10
    assert node.process is not None and node.process.poll() is None
