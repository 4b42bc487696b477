"""Scale-out as an operator builds it: two `callscreen serve` nodes sharing one PostgreSQL database, the Kamailio
balancer of `deploy/kamailio/` in front, sipp placing calls through Kamailio as a PBX would.

What it proves: both nodes take calls; the repeat-caller history counts calls seen by either node; a number blocked
through node A's API is routed to the analysis queue by node B once one list poll has passed; a node killed with
SIGKILL mid-run costs only the call it was carrying — new calls go to the survivor and no committed record is lost.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from numbering import normalize
from tests.conftest import REPO, free_port, require_tool
from tests.harness import ServiceProcess
from tests.robustness.pg import connect, pg_database, pg_url  # noqa: F401 (fixture)

pytestmark = pytest.mark.kamailio

log = logging.getLogger(__name__)
SCENARIOS = Path(__file__).parent / "scenarios"
LEGIT = "uac-legit-via-lb-expect-refer.xml"
BLOCKED = "uac-blocked-via-lb-expect-analysis-bye.xml"
LIST_POLL_S = 1.0  # database.list_poll_s: a list change reaches every node within one poll
DS_PING_S = 1  # Kamailio's OPTIONS probe interval for the test (2 s in the shipped config)
SIPP_TIMEOUT_S = 45
SALT = "multinode-test-salt"  # every node of one database shares privacy.hash_salt (caller_hash must agree)


@dataclass(frozen=True)
class Row:
    id: int
    call_id: str
    node: str
    caller: str | None
    route: str
    reasons: tuple[str, ...]  # reason codes, e.g. "caller.repeat"
    details: str  # the reasons' JSON, for failure messages


def call_rows(database: str) -> list[Row]:
    with connect(database) as conn:
        rows = conn.execute("SELECT id, call_id, node, caller, route, reasons FROM screened_calls "
                            "ORDER BY started_at, id").fetchall()
    return [Row(r[0], r[1], r[2], r[3], str(r[4]).lower(), tuple(x["code"] for x in json.loads(r[5])), r[5])
            for r in rows]


def wait_rows(database: str, caller: str, expected: int, timeout_s: float = 20) -> list[Row]:
    """The rows of one caller once ``expected`` are written (a record is written when its call ends)."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = [r for r in call_rows(database) if r.caller == caller]
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


class Balancer:
    """Kamailio with the shipped `kamailio-lb.cfg`, a node list of this test's nodes and a short probe interval."""

    def __init__(self, tmp: Path, node_ports: list[int], *defines: str) -> None:
        self.port = free_port()
        self.log_path = tmp / "kamailio.log"
        node_list = tmp / "nodes.list"
        node_list.write_text("".join(f"1 sip:127.0.0.1:{port}\n" for port in node_ports))
        args = [require_tool("kamailio"), "-f", str(REPO / "deploy" / "kamailio" / "kamailio-lb.cfg"), "-DD", "-E",
                "-w", str(tmp), "-Y", str(tmp / "kamailio-run"),
                "-A", f"LB_LISTEN=udp:127.0.0.1:{self.port}", "-A", f'DS_LIST="{node_list}"',
                "-A", f"DS_PING_S={DS_PING_S}"]
        for define in defines:
            args += ["-A", define]
        (tmp / "kamailio-run").mkdir(exist_ok=True)
        with self.log_path.open("wb") as log:  # own session: stop() can end the forked workers with their parent
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

    def wait_ready(self, timeout_s: float = 10) -> None:
        """Kamailio answers an OPTIONS addressed to itself once its workers run."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"kamailio exited:\n{self.log_tail()}"
            if self.options_answered("127.0.0.1", 1):
                return
        raise TimeoutError(f"kamailio not answering on {self.port}:\n{self.log_tail()}")

    def options_answered(self, source_ip: str, count: int, wait_s: float = 0.3) -> int:
        """Send ``count`` keep-alive OPTIONS from ``source_ip`` at once; how many got their 200."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((source_ip, 0))
            port = sock.getsockname()[1]
            for _ in range(count):
                sock.sendto(_options(self.port, port), ("127.0.0.1", self.port))
            answered = 0
            sock.settimeout(wait_s)
            try:
                while answered < count:
                    answered += sock.recv(4096).startswith(b"SIP/2.0 200")
            except TimeoutError:
                pass
            return answered

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _options(lb_port: int, port: int) -> bytes:
    lines = [f"OPTIONS sip:127.0.0.1:{lb_port} SIP/2.0",
             f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{uuid.uuid4().hex}",
             "From: <sip:probe@127.0.0.1>;tag=t", f"To: <sip:127.0.0.1:{lb_port}>", f"Call-ID: {uuid.uuid4().hex}",
             "CSeq: 1 OPTIONS", "Max-Forwards: 5", "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


@dataclass(frozen=True)
class SippRun:
    successful: int
    failed: int
    output: str


class Sipp:
    """One sipp run through the balancer: ``calls`` calls from ``number``, at most ``limit`` at once."""

    def __init__(self, tmp: Path, lb_port: int, scenario: str, number: str, calls: int, *, limit: int,
                 rate: int = 10) -> None:
        # sipp 3.6 does not substitute keys inside rtp_stream: fill the payload type into a copy. In caller-ID mode
        # no words are needed: a second of μ-law silence, looped, is the caller's audio.
        (tmp / "caller.raw").write_bytes(b"\xff" * 8000)
        copy = tmp / scenario
        copy.write_text((SCENARIOS / scenario).read_text().replace('rtp_stream="caller.raw,-1,[codec_pt]"',
                                                                   'rtp_stream="caller.raw,-1,0"'))
        keys = {"caller_from": f'"Caller" <sip:{number}@carrier.example>', "codec_pt": "0", "codec_name": "PCMU",
                "sink_port": str(free_port())}
        args = [require_tool("sipp"), f"127.0.0.1:{lb_port}", "-sf", str(copy), "-i", "127.0.0.1",
                "-p", str(free_port()), "-mi", "127.0.0.1", "-mp", str(free_port()), "-s", "sales", "-m", str(calls),
                "-l", str(limit), "-r", str(rate), "-nostdin", "-timeout", f"{SIPP_TIMEOUT_S}s", "-timeout_error",
                "-trace_err"]
        for key, value in keys.items():
            args += ["-key", key, value]
        self.process = subprocess.Popen(args, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, text=True)

    def result(self) -> SippRun:
        try:
            output, _ = self.process.communicate(timeout=SIPP_TIMEOUT_S + 15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate(timeout=10)
        return SippRun(_count(output, "Successful call"), _count(output, "Failed call"), output[-3000:])

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=10)


def _count(text: str, label: str) -> int:
    counts = re.findall(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", text)
    return int(counts[-1]) if counts else 0


def _number(digits: str) -> str:
    normalized = normalize(digits).normalized
    assert normalized is not None
    return normalized


def _logged_reload_at(node: ServiceProcess, entries: int) -> datetime | None:
    """When the node's log says it (re)loaded the lists with ``entries`` active entries (the ListSync log line)."""
    pattern = re.compile(rf"^(\S+ \S+) .*number lists loaded: {entries} active entries", re.M)
    match = pattern.search(node.log_path.read_text(errors="replace"))
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f") if match else None


@pytest.mark.sip
@pytest.mark.postgres
@pytest.mark.slow
def test_two_nodes_behind_kamailio_share_postgres_lists_and_survive_a_node_kill(
    tmp_path: Path, pg_database: str  # noqa: F811
) -> None:
    shared_database = pg_database  # one fresh database for both nodes, dropped afterwards
    require_tool("sipp")
    require_tool("kamailio")
    env = {"CALLSCREEN_DATABASE_URL": pg_url(shared_database),
           "CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{free_port()}",
           "CALLSCREEN_DATABASE_LIST_POLL_S": str(LIST_POLL_S), "CALLSCREEN_PRIVACY_HASH_SALT": SALT}
    a = ServiceProcess(tmp_path / "a", env=env, name="node-a")
    b = ServiceProcess(tmp_path / "b", env=env, name="node-b")
    for node in (a, b):
        node.workdir.mkdir()
    runs: list[Sipp] = []
    balancer: Balancer | None = None
    try:
        a.start()  # migrates the fresh database first; B then finds it current
        b.start()
        balancer = Balancer(tmp_path, [a.sip_port, b.sip_port])
        balancer.wait_ready()

        def place(scenario: str, digits: str, calls: int, *, limit: int) -> Sipp:
            assert balancer is not None
            run = Sipp(tmp_path, balancer.port, scenario, digits, calls, limit=limit)
            runs.append(run)
            return run

        # 1. Both nodes take calls; the repeat-caller history is shared: four calls one after the other from one
        #    number alternate between the nodes, and the third counts the two before it although one was not its own.
        repeat = place(LEGIT, "13812340001", 4, limit=1).result()
        assert repeat.successful == 4 and repeat.failed == 0, repeat.output + balancer.log_tail()
        rows = wait_rows(shared_database, _number("13812340001"), 4)
        assert [r.route for r in rows] == ["agents"] * 4, rows
        nodes = [r.node for r in rows]
        assert sorted(nodes) == ["node-a", "node-a", "node-b", "node-b"], f"round-robin over both nodes: {nodes}"
        assert "caller.repeat" not in rows[1].reasons and "caller.repeat" in rows[2].reasons, rows
        assert '"3 calls from' in rows[2].details and rows[2].node != rows[1].node, rows[2]

        # 2. A number blocked through node A's API: after one list poll every node routes it to the analysis queue,
        #    node B included (two concurrent calls: the round-robin gives one to each node).
        key = a.cli("keys", "create", "--role", "admin")
        assert key.returncode == 0, key.stderr
        blocked_at = datetime.now()
        response = httpx.post(f"{a.api}/api/v1/lists/entries", headers={"X-API-Key": key.stdout.strip()}, timeout=10,
                              json={"list": "block", "kind": "exact", "value": "13900001111", "status": "active",
                                    "reason": "multi-node test"})
        assert response.status_code == 201, response.text
        time.sleep(LIST_POLL_S + 0.5)  # the documented bound: one poll interval (plus the reload query, on a busy CI)
        blocked = place(BLOCKED, "13900001111", 2, limit=2).result()
        assert blocked.successful == 2, blocked.output + balancer.log_tail()
        rows = wait_rows(shared_database, _number("13900001111"), 2)
        assert sorted((r.node, r.route) for r in rows) == [("node-a", "analysis"), ("node-b", "analysis")], rows
        assert all("caller.blocklisted" in r.reasons for r in rows), rows
        reload_b = _logged_reload_at(b, 1)
        assert reload_b is not None, b.log_tail()
        log.info("list change on node A reached node B's matching engine after %.2f s (poll %.1f s)",
                 (reload_b - blocked_at).total_seconds(), LIST_POLL_S)

        # 3. Kill node A while each node carries a long (analysis-queue) call; then place new calls.
        in_progress = place(BLOCKED, "13900001111", 2, limit=2)
        time.sleep(2.0)  # both calls answered and playing (answer delay 0.2 s)
        committed = {(r.id, r.call_id, r.node) for r in call_rows(shared_database)}
        assert len(committed) == 6
        a.kill()
        killed_at = time.monotonic()
        after = place(LEGIT, "13812340003", 6, limit=6).result()
        failovers = balancer.log_tail(400).count("trying the next one")
        log.info("after the kill: 6 new calls done in %.1f s, %d INVITE(s) failed over from node A on timeout",
                 time.monotonic() - killed_at, failovers)
        assert after.successful == 6 and after.failed == 0, after.output + balancer.log_tail()
        rows = wait_rows(shared_database, _number("13812340003"), 6)
        assert [r.node for r in rows] == ["node-b"] * 6 and {r.route for r in rows} == {"agents"}, rows
        lost = in_progress.result()  # one call was on each node: B's ends normally, A's at most is lost
        assert lost.successful >= 1 and lost.successful + lost.failed == 2, lost.output
        records = len(wait_rows(shared_database, _number("13900001111"), 4, timeout_s=2))
        log.info("calls in progress on the killed node lost: %d of 1; their records written: %d of 1",
                 lost.failed, records - 3)
        final = {(r.id, r.call_id, r.node) for r in call_rows(shared_database)}
        assert committed <= final, f"committed records lost: {committed - final}"
        assert "is DOWN" in balancer.log_tail(200), balancer.log_tail()
        # The nodes' 180/200 carry Kamailio's Record-Route (RFC 3261 §12.1.1), so sipp's ACK/BYE/NOTIFY route
        # through it by the route set; the config's relay for requests without one is never needed.
        assert "without route set" not in balancer.log_path.read_text(errors="replace")
    finally:
        for run in runs:
            run.kill()
        if balancer is not None:
            balancer.stop()
        a.kill()
        b.stop()


def test_balancer_bans_a_flooding_source_and_keeps_serving_the_others(tmp_path: Path) -> None:
    """pike: a source above the request density is dropped for the ban time; other sources are still served.
    (Sources on the balancer's own address are exempt, so the flood comes from 127.0.0.2.)"""
    require_tool("kamailio")
    balancer = Balancer(tmp_path, [free_port()], "PIKE_DENSITY=10")
    try:
        balancer.wait_ready()
        assert balancer.options_answered("127.0.0.2", 5) == 5, "below the density: served"
        flood = balancer.options_answered("127.0.0.2", 100)
        assert flood < 100, f"a flood of 100 requests was answered in full\n{balancer.log_tail()}"
        assert balancer.options_answered("127.0.0.2", 1, wait_s=1.0) == 0, "banned source still answered"
        assert balancer.options_answered("127.0.0.3", 1, wait_s=1.0) == 1, "an innocent source is not banned"
        assert "flood from 127.0.0.2" in balancer.log_tail(), balancer.log_tail()
    finally:
        balancer.stop()
