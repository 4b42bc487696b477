"""Fail open when the database dies or hangs: legitimate callers still reach the agents, records are spooled and
written once the database is back — against the real PostgreSQL, cut or stalled by a proxy in front of it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, require
from tests.harness import ServiceProcess
from tests.robustness.calls import place_legit_calls
from tests.robustness.tcp_proxy import Mode, TcpProxy

PG = ("127.0.0.1", 5432)
CALLS_PER_PHASE = 10


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(host=PG[0], port=PG[1], user="postgres", dbname="test", autocommit=True,
                               connect_timeout=3)
    except psycopg.OperationalError as exc:
        require(False, f"PostgreSQL at {PG[0]}:{PG[1]} unreachable: {exc}")
        raise


@pytest.fixture
def pg_database() -> Iterator[str]:
    name = f"cs_fault_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    p = TcpProxy(PG)
    yield p
    p.close()


def _count_calls(database: str) -> int:
    import psycopg

    with psycopg.connect(host=PG[0], port=PG[1], user="postgres", dbname=database, connect_timeout=3) as conn:
        row = conn.execute("SELECT count(*) FROM screened_calls").fetchone()
        return int(row[0]) if row else 0


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
    require_sipp = __import__("tests.conftest", fromlist=["require_tool"]).require_tool
    require_sipp("sipp")
    sipp_port = free_port()
    node = ServiceProcess(tmp_path, env={
        "CALLSCREEN_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{pg_database}",
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
