"""Lookup API, old engine vs new, side by side in one run: ``GET /api/v1/lookup`` at 1,000,000 list entries.

    .venv/bin/python bench/lookup_bench.py [--entries 1000000] [--old /work/wt-old] [--seconds 15] [--rounds 2]
                                           [--connections 4] [--client wrk|httpx]
                                           [--database-url postgresql://postgres@127.0.0.1/test]

One database is seeded once (``--entries`` exact block entries, the import bench's file, plus a few prefixes,
ranges and patterns) and both engines serve it in turn, each as ``python -m adminapi`` with ONE uvicorn worker in
its own process: the old one from the ``--old`` worktree (its own ``.venv`` when it has one), the new one from
this tree. Rounds alternate old, new, old, new… so a change in the machine's load hits both. Each round waits
until the server answers (an engine with memory lists — both since issue 14: until it answers from memory, as its
``X-Callscreen-Lookup-Source`` header says), warms up, then measures for ``--seconds``. The client is ``wrk`` (C, one
thread, keep-alive, ``--connections`` open) when installed — it costs the shared two cores far less than a Python
client — else an asyncio ``httpx`` client with as many concurrent keep-alive connections. Half of the numbers asked
are on the list. Reports requests/s, p50/p99, non-200 answers, the server's CPU share and CPU time per request (the
machine-independent figure on a shared box) and the load average around each measurement. Bounded in time: every
round stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # runnable as `python bench/<name>.py`

from bench._records_server import _free_port, database  # noqa: E402
from bench.import_bench import make_csv  # noqa: E402
from records import Database, Role  # noqa: E402
from records.keys import create_key  # noqa: E402
from records.list_csv import import_entries  # noqa: E402
from screening.numberlist import ListName  # noqa: E402

SOURCE_HEADER = "X-Callscreen-Lookup-Source"
EXTRA_ROWS = "value,kind,reason\n+86139001,prefix,bench\n+8613900200000-+8613900209999,range,bench\n" + (
    "\\+8613900300\\d{3},pattern,bench\n"
)
READY_TIMEOUT_S = 600  # the new engine loads a million entries first (≈ 20 s idle, minutes on a loaded box)


@dataclass
class Result:
    engine: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_200: int
    server_cpu: float  # share of one core the server used while measured
    load: str  # 1-minute load average before → after

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request: what one core could serve (1000 / this) with the machine to itself."""
        return self.server_cpu / self.rate * 1000


def numbers(entries: int, count: int = 4000) -> list[str]:
    """Half on the list (the import bench's values), half not (another mobile segment)."""
    rng = random.Random(14)
    listed = [f"13{i // 100_000_000 % 10}{i % 100_000_000:08d}" for i in rng.sample(range(entries), count // 2)]
    other = [f"137{rng.randrange(100_000_000):08d}" for _ in range(count // 2)]
    mixed = listed + other
    rng.shuffle(mixed)
    return mixed


def seed(db: Database, entries: int) -> str:
    t = time.perf_counter()
    zone = ZoneInfo("Asia/Shanghai")
    with db.session() as s:
        import_entries(s, make_csv(entries), default_list=ListName.BLOCK, zone=zone, actor="bench")
        import_entries(s, EXTRA_ROWS, default_list=ListName.BLOCK, zone=zone, actor="bench")
        _, key = create_key(s, Role.AGENT, label="bench-pbx", actor="bench")
    print(f"seeded {entries:,} exact entries + 3 prefix/range/pattern in {time.perf_counter() - t:.0f} s", flush=True)
    return key


def _python_of(tree: Path) -> tuple[str, dict[str, str]]:
    """The tree's own interpreter if it has a venv; else this one with the tree first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCREEN_")}
    own = tree / ".venv" / "bin" / "python"
    if own.exists():
        return str(own), env
    return sys.executable, {**env, "PYTHONPATH": str(tree)}


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


@contextmanager
def server(tree: Path, db_url: str, key: str, probe: str) -> Iterator[tuple[str, int]]:
    python, env = _python_of(tree)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [python, "-m", "adminapi", "--database-url", db_url, "--port", str(port)]
    proc = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                r = httpx.get(f"{base}/api/v1/lookup", params={"number": probe}, headers={"X-API-Key": key}, timeout=5)
                # An engine with memory lists says where it answered from: wait until that is memory (both the
                # old and the new engine have them since issue 14); one without them is ready at its first answer.
                if r.status_code == 200 and r.headers.get(SOURCE_HEADER, "memory") == "memory":
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{tree}: python -m adminapi did not become ready")
            time.sleep(0.5)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)


WRK_SCRIPT = """
local numbers = {%s}
local key = "%s"
local i = 0
request = function()
  i = i %% #numbers + 1
  return wrk.format("GET", "/api/v1/lookup?number=" .. numbers[i], {["X-API-Key"] = key})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%.1f %%.1f\\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


Measured = tuple[int, float, float, float, int]  # requests, seconds, p50 ms, p99 ms, errors


def run_wrk(base: str, key: str, asked: list[str], seconds: float, connections: int) -> Measured:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (",".join(f'"{n}"' for n in asked), key))
    try:
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", script.name, base]
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, duration_us, errors = int(match[1]), int(match[2]), int(match[3])
    return requests, duration_us / 1e6, float(match[4]) / 1000, float(match[5]) / 1000, errors


def run_httpx(base: str, key: str, asked: list[str], seconds: float, connections: int) -> Measured:
    latencies: list[float] = []
    errors = 0

    async def worker(offset: int, client: httpx.AsyncClient, until: float) -> None:
        nonlocal errors
        i = offset
        while time.perf_counter() < until:
            t = time.perf_counter()
            response = await client.get("/api/v1/lookup", params={"number": asked[i % len(asked)]})
            latencies.append(time.perf_counter() - t)
            errors += response.status_code != 200
            i += connections

    async def main() -> float:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, limits=limits, timeout=10) as client:
            start = time.perf_counter()
            await asyncio.gather(*(worker(i, client, start + seconds) for i in range(connections)))
            return time.perf_counter() - start

    elapsed = asyncio.run(main())
    q = statistics.quantiles(latencies, n=100)
    return len(latencies), elapsed, q[49] * 1000, q[98] * 1000, errors


def measure(engine: str, base: str, pid: int, key: str, asked: list[str], args: argparse.Namespace) -> Result:
    client = run_wrk if args.client == "wrk" else run_httpx
    client(base, key, asked, 2, args.connections)  # warm-up: connections, caches, the key cache
    load, cpu, t = _load(), _cpu_s(pid), time.perf_counter()
    requests, seconds, p50, p99, errors = client(base, key, asked, args.seconds, args.connections)
    cpu_share = (_cpu_s(pid) - cpu) / (time.perf_counter() - t)
    return Result(engine, requests, seconds, p50, p99, errors, cpu_share, f"{load} → {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--old", type=Path, default=Path("/work/wt-old"), help="worktree of the old engine")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--client", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    asked = numbers(args.entries)
    results: list[Result] = []
    with database(args.database_url) as db:
        key = seed(db, args.entries)
        url = db.url.render_as_string(hide_password=False)
        for round_no in range(1, args.rounds + 1):
            for engine, tree in (("old", args.old), ("new", REPO)):
                with server(tree, url, key, asked[0]) as (base, pid):
                    result = measure(engine, base, pid, key, asked, args)
                results.append(result)
                print(f"round {round_no} {engine}: {result.rate:7.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
                      f"p99 {result.p99_ms:6.2f} ms  non-200 {result.non_200}  server CPU {result.server_cpu:.0%} "
                      f"({result.cpu_ms:.2f} ms/request)  "
                      f"load {result.load}", flush=True)  # fmt: skip
    backend = "postgresql" if args.database_url else "sqlite (WAL)"
    print(f"\nlookup API, {backend}, {args.entries:,} entries, 1 uvicorn worker, client {args.client} "
          f"({args.connections} keep-alive connections, {args.seconds:g} s per round)")  # fmt: skip
    print("| engine | requests/s (rounds) | p50 ms | p99 ms | non-200 | server CPU | CPU ms/request | load (1 min) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for engine in ("old", "new"):
        mine = [r for r in results if r.engine == engine]
        rates = " / ".join(f"{r.rate:.0f}" for r in mine)
        print(f"| {engine} | {rates} | {' / '.join(f'{r.p50_ms:.2f}' for r in mine)} | "
              f"{' / '.join(f'{r.p99_ms:.2f}' for r in mine)} | {sum(r.non_200 for r in mine)} | "
              f"{' / '.join(f'{r.server_cpu:.0%}' for r in mine)} | {' / '.join(f'{r.cpu_ms:.2f}' for r in mine)} | "
              f"{' ; '.join(r.load for r in mine)} |")  # fmt: skip
    old = statistics.median(r.rate for r in results if r.engine == "old")
    new = statistics.median(r.rate for r in results if r.engine == "new")
    print(f"new / old (medians): {new / old:.1f}×")


if __name__ == "__main__":
    main()
