"""The node limits a flooding source by itself: its datagrams are ignored for the ban time, while a caller from
another address still gets through (and Kamailio's pike does the same in front: tests/deploy)."""

from __future__ import annotations

import contextlib
import random
import socket
import time
from pathlib import Path

from tests.conftest import free_port, require_tool
from tests.harness import ServiceProcess
from tests.robustness.calls import place_legit_calls
from tests.robustness.sipfuzz import base_message

FLOOD = 600


def _answers(sock: socket.socket, wait_s: float) -> int:
    count = 0
    deadline = time.monotonic() + wait_s
    sock.settimeout(0.1)
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            sock.recvfrom(65535)
            count += 1
    return count


def test_flooding_source_is_banned_and_other_callers_still_get_through(tmp_path: Path) -> None:
    require_tool("sipp")
    sipp_port = free_port()
    node = ServiceProcess(tmp_path, env={
        "CALLSCREEN_SIP_PEERS": '["127.0.0.0/8"]',  # a network, so no single address is exempt
        "CALLSCREEN_SIP_FLOOD_RATE_PER_S": "20", "CALLSCREEN_SIP_FLOOD_BURST": "50", "CALLSCREEN_SIP_FLOOD_BAN_S": "60",
        "CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.3:{sipp_port}",
    }).start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flooder:
            flooder.bind(("127.0.0.2", 0))
            flooder.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
            source = f"127.0.0.2:{flooder.getsockname()[1]}"
            rng = random.Random(5)
            for _ in range(FLOOD):
                msg = base_message("OPTIONS", f"127.0.0.1:{node.sip_port}", source, rng)
                flooder.sendto(msg.encode(), ("127.0.0.1", node.sip_port))
            answered = _answers(flooder, 2.0)
            assert 0 < answered <= 100, answered  # the burst is served, the rest of the flood is not
            flooder.sendto(base_message("OPTIONS", f"127.0.0.1:{node.sip_port}", source, rng).encode(),
                           ("127.0.0.1", node.sip_port))
            assert _answers(flooder, 1.0) == 0  # still banned, even at a polite pace

        run = place_legit_calls(tmp_path, node.sip_port, sipp_port, 2, source_ip="127.0.0.3")
        assert run.dropped == 0, run.output + node.log_tail()
    finally:
        node.stop()
