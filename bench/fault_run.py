"""Fail open, measured: ≥200 legitimate calls under each fault, counted as placed / reached the agents / dropped.

    .venv/bin/python bench/fault_run.py [--calls 200] [--rate 5] [--only db-down,asr-overload,...]

Faults: ``db-down`` and ``db-stall`` (the real PostgreSQL behind a TCP proxy that cuts or stalls it, under
`callscreen serve`); ``asr-raise`` and ``asr-overload`` (the real composition root with a recogniser that raises in
``accept``, or the real ASR engine over a decoder 4× slower than real time — `tests/robustness/faulty_asr.py`);
``no-model`` (``VOSK_MODEL_PATH`` names a removed directory); ``log-full`` (the node's stdout/stderr on
``/dev/full``). A call *reached the agents* when sipp got the REFER to the agents URI (the e2e legit scenario).
Where the fault can clear inside the run, 5 more calls are placed after it clears ("after"), and the records
stored for all calls are counted ("records": must equal every call placed — spooled ones included).
Loopback only; bounded in count and time.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from records.models import ScreenedCall  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.e2e.harness import LEGIT_TEXT, Loopback, make_caller_audio, start_loopback  # noqa: E402
from tests.harness import ServiceProcess  # noqa: E402
from tests.robustness.calls import CallRun  # noqa: E402
from tests.robustness.faulty_asr import Fault, FaultyTranscribers, slow_engine  # noqa: E402
from tests.robustness.full_disk import FullDiskNode  # noqa: E402
from tests.robustness.pg import count_rows, pg_url, temporary_database  # noqa: E402
from tests.robustness.sipp_load import start_legit_calls  # noqa: E402
from tests.robustness.tcp_proxy import Mode, TcpProxy  # noqa: E402
from tests.telephony.replay_recognizer import ReplayTranscriberFactory, Utterance  # noqa: E402

AFTER = 5
FAULTS = ("db-down", "db-stall", "asr-raise", "asr-overload", "no-model", "log-full")


@dataclass
class Row:
    fault: str
    during: CallRun
    after: CallRun | None
    records: int | None
    seconds: float

    def line(self) -> str:
        after = f"{self.after.successful}/{self.after.calls}" if self.after else "n/a"
        placed = self.during.calls + (self.after.calls if self.after else 0)
        records = "n/a" if self.records is None else f"{self.records}/{placed}"
        return (f"| {self.fault} | {self.during.calls} | {self.during.successful} | {self.during.dropped} | {after} "
                f"| {records} | {self.seconds:.0f} s |")


def calls(tmp: Path, sip_port: int, sipp_port: int, n: int, rate: float, audio: bytes | None = None) -> CallRun:
    return start_legit_calls(tmp, sip_port, sipp_port, n, rate=rate, audio=audio, timeout_s=int(n / rate) + 120
                             ).result()


def wait_count(count: Callable[[], int], expected: int, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    value = count()
    while value < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        value = count()
    return value


def sqlite_count(workdir: Path) -> int:
    with sqlite3.connect(f"file:{workdir / 'var' / 'callscreen.db'}?mode=ro", uri=True, timeout=10) as conn:
        return int(conn.execute("SELECT count(*) FROM screened_calls").fetchone()[0])


def run_db(tmp: Path, fault: Mode, n: int, rate: float) -> tuple[CallRun, CallRun | None, int | None]:
    sipp_port = free_port()
    proxy = TcpProxy(("127.0.0.1", 5432))
    try:
        with temporary_database("cs_faultrun") as database:
            node = ServiceProcess(tmp, env={"CALLSCREEN_DATABASE_URL": pg_url(database, proxy.port),
                                            "CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}"})
            node.start()
            try:
                proxy.set_mode(fault)
                during = calls(tmp, node.sip_port, sipp_port, n, rate)
                proxy.set_mode(Mode.PASS)
                after = calls(tmp, node.sip_port, sipp_port, AFTER, rate)
                stored = wait_count(lambda: count_rows(database, "screened_calls"), n + AFTER)
            finally:
                node.stop()
    finally:
        proxy.close()
    return during, after, stored


def loop_count(loop: Loopback) -> int:
    with loop.service.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ScreenedCall)) or 0)


def run_asr(tmp: Path, overload: bool, n: int, rate: float) -> tuple[CallRun, CallRun | None, int | None]:
    speech = make_caller_audio(tmp, LEGIT_TEXT, "PCMU").read_bytes()
    engine, model = slow_engine(4.0, queue_frames=25)
    switch = FaultyTranscribers(ReplayTranscriberFactory((Utterance(1.0, LEGIT_TEXT),)), Fault.ACCEPT)
    loop = start_loopback(tmp, (), transcribers=engine if overload else switch, screening={"listen_timeout_s": 3.0})
    try:
        during = calls(tmp, loop.sip_port, loop.sipp_port, n, rate, speech)
        model.slowdown, switch.fault = 0.0, Fault.NONE
        after = calls(tmp, loop.sip_port, loop.sipp_port, AFTER, rate, speech)
        stored = wait_count(lambda: loop_count(loop), n + AFTER, 20)
    finally:
        model.hang.set()
        loop.service.stop(drain_timeout_s=2.0)
        engine.close()
    return during, after, stored


def run_node(tmp: Path, log_full: bool, n: int, rate: float) -> tuple[CallRun, CallRun | None, int | None]:
    sipp_port = free_port()
    env = {"CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}"}
    if not log_full:
        removed = tmp / "models" / "current"
        removed.mkdir(parents=True)
        removed.rmdir()
        env["VOSK_MODEL_PATH"] = str(removed)
    node = (FullDiskNode if log_full else ServiceProcess)(tmp, env=env)
    node.start()
    try:
        during = calls(tmp, node.sip_port, sipp_port, n, rate)
        stored = wait_count(lambda: sqlite_count(tmp), n, 20)
    finally:
        node.stop()
    return during, None, stored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="calls per second")
    parser.add_argument("--only", default=",".join(FAULTS), help="comma-separated subset of " + ", ".join(FAULTS))
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="faultrun-"))
    logging.basicConfig(filename=base / "in-process.log", level=logging.INFO)  # the in-process runs' service log
    runners = {
        "db-down": lambda tmp: run_db(tmp, Mode.DOWN, args.calls, args.rate),
        "db-stall": lambda tmp: run_db(tmp, Mode.STALL, args.calls, args.rate),
        "asr-raise": lambda tmp: run_asr(tmp, False, args.calls, args.rate),
        "asr-overload": lambda tmp: run_asr(tmp, True, args.calls, args.rate),
        "no-model": lambda tmp: run_node(tmp, False, args.calls, args.rate),
        "log-full": lambda tmp: run_node(tmp, True, args.calls, args.rate),
    }
    print(f"fault run: {args.calls} legitimate calls per fault at {args.rate}/s, then {AFTER} after it clears; "
          f"work dir {base}", flush=True)
    print("| fault | placed | reached agents | dropped | after clearing | records | time |")
    print("|---|---|---|---|---|---|---|", flush=True)
    dropped = 0
    for name in args.only.split(","):
        tmp = base / name
        tmp.mkdir()
        started = time.monotonic()
        during, after, stored = runners[name](tmp)
        row = Row(name, during, after, stored, time.monotonic() - started)
        dropped += during.dropped + (after.dropped if after else 0)
        print(row.line(), flush=True)
    print(f"total dropped: {dropped}")
    return 1 if dropped else 0


if __name__ == "__main__":
    sys.exit(main())
