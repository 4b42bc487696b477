"""SIP fuzzing, short run: hostile datagrams at a running node; afterwards it still answers, holds no stuck
call or thread, and its memory is back near where it started. The full 10,000+ run is `bench/sip_fuzz.py`."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, require_tool
from tests.harness import ServiceProcess
from tests.robustness.calls import place_legit_calls
from tests.robustness.proc import proc_status
from tests.robustness.sipfuzz import base_message, fuzz_messages

SHORT_RUN = 2000
# Fixed-size worker pools start their threads lazily (the call-history pool has 4 workers); threads up to that
# bound are the pool filling, not calls left stuck.
POOL_GROWTH = 4


@pytest.fixture
def sipp_port() -> int:
    require_tool("sipp")
    return free_port()


@pytest.fixture
def node(tmp_path: Path, sipp_port: int) -> Iterator[ServiceProcess]:
    service = ServiceProcess(tmp_path, env={"CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}"})
    try:
        yield service.start()
    finally:
        service.stop()


def options_answered(port: int, sock: socket.socket) -> bool:
    import random

    msg = base_message("OPTIONS", f"127.0.0.1:{port}", f"127.0.0.1:{sock.getsockname()[1]}", random.Random(7))
    sock.sendto(msg.encode(), ("127.0.0.1", port))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            data, _ = sock.recvfrom(65535)
        except TimeoutError:
            continue
        if data.startswith(b"SIP/2.0 200") and b"OPTIONS" in data:
            return True
    return False


def test_node_survives_fuzzing_and_still_answers(node: ServiceProcess, sipp_port: int, tmp_path: Path) -> None:
    assert node.process is not None
    pid = node.process.pid
    warm_up = place_legit_calls(tmp_path, node.sip_port, sipp_port, 1)  # worker pools exist before the baseline
    assert warm_up.dropped == 0, warm_up.output
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        assert options_answered(node.sip_port, sock)
        before = proc_status(pid)
        source = f"127.0.0.1:{sock.getsockname()[1]}"
        errors_answered = 0
        for i, datagram in enumerate(fuzz_messages(SHORT_RUN, f"127.0.0.1:{node.sip_port}", source, seed=11)):
            sock.sendto(datagram, ("127.0.0.1", node.sip_port))
            if i % 200 == 0:
                time.sleep(0.05)  # a scanner's pace, not a flood (flood control is tested separately)
        sock.settimeout(0.2)
        drain_until = time.monotonic() + 3
        while time.monotonic() < drain_until:
            with contextlib.suppress(TimeoutError):
                data, _ = sock.recvfrom(65535)
                status = data.split(b" ", 2)[1] if data.startswith(b"SIP/2.0 ") else b""
                if status[:1] in (b"4", b"5"):
                    errors_answered += 1
        assert node.process.poll() is None, node.log_tail()
        # The node read the garbage and said so (400, 481, 405, 501, 488 …) rather than dropping all of it.
        assert errors_answered >= SHORT_RUN // 20, errors_answered
        sock.settimeout(0.5)
        assert options_answered(node.sip_port, sock), node.log_tail()
    # Transactions from the fuzz run time out (64·T1 = 32 s at most); give stray ones a moment to end.
    deadline = time.monotonic() + 40
    after = proc_status(pid)
    while time.monotonic() < deadline and after["Threads"] > before["Threads"] + POOL_GROWTH:
        time.sleep(1)
        after = proc_status(pid)
    assert after["Threads"] <= before["Threads"] + POOL_GROWTH, f"threads {before['Threads']} -> {after['Threads']}"
    assert after["VmRSS"] < before["VmRSS"] + 30 * 1024, f"RSS {before['VmRSS']} -> {after['VmRSS']} kB"
    ready = node.readyz()
    assert ready is not None and ready["ready"]
    after_call = place_legit_calls(tmp_path, node.sip_port, sipp_port, 1)
    assert after_call.dropped == 0, after_call.output + node.log_tail()
