"""Number-list lookup at 1,000,000 entries: build (reload) time, memory, and lookup p50/p99.

Entries: 900,000 exact numbers, 90,000 prefixes, 9,500 ranges and 500 patterns (the realistic mix: imports of
carrier bills are exact numbers, ranges and patterns are hand-written by managers). Lookups: 20,000 callers, half
of them listed. Short by design (the machine is shared): about 15 s.

    .venv/bin/python bench/numberlist_bench.py [--entries 1000000]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from numbering import normalize
from screening.numberlist import InMemoryNumberLists, ListEntry, ListName, MatchKind

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LOOKUPS = 20_000


def build_entries(total: int, rng: random.Random) -> tuple[list[ListEntry], list[str]]:
    exact_n, prefix_n, pattern_n = int(total * 0.9), int(total * 0.09), min(500, total // 2000)
    range_n = total - exact_n - prefix_n - pattern_n
    listed = [f"+861{rng.randint(3, 9)}{rng.randrange(10**9):09d}" for _ in range(exact_n)]
    entries = [
        ListEntry(ListName.BLOCK, MatchKind.EXACT, n, expires_at=NOW + timedelta(days=30) if i % 10 == 0 else None)
        for i, n in enumerate(listed)
    ]
    entries += [ListEntry(ListName.BLOCK, MatchKind.PREFIX, f"+86{rng.randint(20, 99)}{rng.randrange(10**6):06d}")
                for _ in range(prefix_n)]  # fmt: skip
    for _ in range(range_n):
        first = rng.randrange(10**8)
        last = min(first + rng.randint(10, 999), 10**8 - 1)
        entries.append(ListEntry(ListName.PAYPHONE, MatchKind.RANGE, f"+8610{first:08d}-+8610{last:08d}"))
    for i in range(pattern_n):
        pattern = rf"\+86{rng.randint(300, 999)}\d{{4}}{i % 10}\d{{3}}"
        entries.append(ListEntry(ListName.SWITCHBOARD, MatchKind.PATTERN, pattern))
    return entries, listed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = random.Random(7)
    entries, listed = build_entries(args.entries, rng)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lists = InMemoryNumberLists()
    t0 = time.perf_counter()
    lists.replace(entries, version=1)
    build_s = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    callers = [normalize(rng.choice(listed)) if i % 2 else normalize(f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}")
               for i in range(LOOKUPS)]  # fmt: skip
    callers += [normalize(f"010{rng.randrange(10**8):08d}") for _ in range(LOOKUPS // 10)]  # range region
    samples: list[float] = []
    hits = 0
    for caller in callers:
        t1 = time.perf_counter()
        found = lists.lookup(caller, NOW)
        samples.append(time.perf_counter() - t1)
        hits += bool(found)
    samples.sort()
    p99 = samples[int(len(samples) * 0.99)]
    print(f"entries {len(lists):,} (rejected {lists.rejected})  build/reload {build_s:.2f} s  "
          f"index memory ≈ {(rss_after - rss_before) / 1024:.0f} MiB")  # fmt: skip
    print(f"lookups {len(samples):,} ({hits:,} with a match)  p50 {statistics.median(samples) * 1e3:.3f} ms  "
          f"p99 {p99 * 1e3:.3f} ms  max {samples[-1] * 1e3:.3f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
