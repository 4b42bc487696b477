"""Lookup API throughput: ``GET /api/v1/lookup`` over real HTTP on loopback, against a seeded database.

    .venv/bin/python bench/api_bench.py [--entries 100000] [--requests 3000] [--clients 4]
                                        [--database-url postgresql://postgres@127.0.0.1/test]

The server is ``python -m adminapi`` (one uvicorn worker) in its own process; clients are threads with
keep-alive connections. Prints requests/s and latency percentiles, plus the in-process service time of one
lookup (no HTTP) for comparison. Bounded in count: a run takes well under a minute by default.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # runnable as `python bench/<name>.py`

from bench._records_server import api_server, database  # noqa: E402
from bench.import_bench import make_csv  # noqa: E402
from numbering import normalize  # noqa: E402
from records import Role  # noqa: E402
from records.base import utcnow  # noqa: E402
from records.keys import create_key  # noqa: E402
from records.list_csv import import_entries  # noqa: E402
from records.lookup import lookup_number  # noqa: E402
from screening.numberlist import ListName  # noqa: E402


def client_loop(url: str, key: str, numbers: list[str], latencies: list[float], errors: list[int]) -> None:
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=10) as client:
        for number in numbers:
            t = time.perf_counter()
            response = client.get("/api/v1/lookup", params={"number": number})
            latencies.append(time.perf_counter() - t)
            if response.status_code != 200:
                errors.append(response.status_code)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with database(args.database_url) as db:
        with db.session() as s:
            import_entries(
                s, make_csv(args.entries), default_list=ListName.BLOCK, zone=ZoneInfo("Asia/Shanghai"), actor="bench"
            )
            _, key = create_key(s, Role.AGENT, label="bench-pbx", actor="bench")
        numbers = [f"13{i % 10}{(i * 7919) % 100_000_000:08d}" for i in range(args.requests)]
        t = time.perf_counter()
        with db.session() as s:
            for number in numbers[:1000]:
                lookup_number(s, normalize(number), utcnow())
        service_ms = (time.perf_counter() - t) / 1000 * 1000
        with api_server(db) as url:
            latencies: list[float] = []
            errors: list[int] = []
            share = [numbers[i :: args.clients] for i in range(args.clients)]
            threads = [threading.Thread(target=client_loop, args=(url, key, part, latencies, errors)) for part in share]
            t = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - t
    backend = "postgresql" if args.database_url else "sqlite (WAL)"
    q = statistics.quantiles(latencies, n=100)
    print(
        f"lookup API bench: {backend}, {args.entries:,} block entries, {args.requests} requests, "
        f"{args.clients} client threads, 1 uvicorn worker"
    )
    print(f"throughput            {len(latencies) / elapsed:8.0f} req/s")
    print(f"latency p50 / p99     {q[49] * 1000:8.2f} / {q[98] * 1000:.2f} ms")
    print(f"service only          {service_ms:8.3f} ms per lookup (no HTTP)")
    print(f"non-200 responses     {len(errors):8d}")


if __name__ == "__main__":
    main()
