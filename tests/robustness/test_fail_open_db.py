"""Fail open when the database dies or hangs: legitimate callers still reach the agents, records are spooled and
written once the database is back — against the real PostgreSQL, cut or stalled by a proxy in front of it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import free_port, require_tool
from tests.harness import ServiceProcess
from tests.robustness.calls import place_legit_calls
from tests.robustness.pg import count_rows, pg_database, pg_url, proxy
from tests.robustness.tcp_proxy import Mode, TcpProxy

__all__ = ["pg_database", "proxy"]  # fixtures used below by name

CALLS_PER_PHASE = 10


def _count_calls(database: str) -> int:
    return count_rows(database, "screened_calls")


def _wait_for_count(database: str, expected: int, timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    count = _count_calls(database)
    while count < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        count = _count_calls(database)
    return count


@pytest.mark.parametrize("fault", [Mode.DOWN, Mode.STALL])
def test_legit_calls_reach_agents_while_the_database_is_down_and_no_record_is_lost(
    tmp_path: Path, pg_database: str, proxy: TcpProxy, fault: Mode
) -> None:
    require_tool("sipp")
    sipp_port = free_port()
    node = ServiceProcess(tmp_path, env={
        "CALLSCREEN_DATABASE_URL": pg_url(pg_database, proxy.port),
        "CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}",
    })
    node.start()
    try:
        healthy = place_legit_calls(tmp_path, node.sip_port, sipp_port, CALLS_PER_PHASE)
        assert healthy.dropped == 0, healthy.output
        assert _wait_for_count(pg_database, CALLS_PER_PHASE) == CALLS_PER_PHASE

        proxy.set_mode(fault)
        during = place_legit_calls(tmp_path, node.sip_port, sipp_port, CALLS_PER_PHASE)
        assert during.dropped == 0, f"{during.dropped} legitimate calls dropped with the database {fault.value}\n" \
                                    + during.output + node.log_tail()

        proxy.set_mode(Mode.PASS)
        after = place_legit_calls(tmp_path, node.sip_port, sipp_port, 2)
        assert after.dropped == 0, after.output
        total = 2 * CALLS_PER_PHASE + 2
        assert _wait_for_count(pg_database, total) == total, node.log_tail()
        assert node.process is not None and node.process.poll() is None
    finally:
        node.stop()
