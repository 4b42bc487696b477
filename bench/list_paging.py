"""Paging and search of the lists page at 1,000,000 entries: keyset pages against the old offset pages.

    .venv/bin/python bench/list_paging.py [--rows 1000000] [--database-url postgresql://postgres@127.0.0.1/test]

Fills the list with ``--rows`` exact block entries (bulk insert), then times, in the records layer (what one
``GET /api/v1/lists/entries`` costs apart from HTTP): the first page, page 10,000 reached by keyset
(``before_id``) and by ``offset`` (how the page worked before), a filtered page (list + status), a substring search
(count capped at 10,001) and a number search that matches one entry. Each figure is the median of 5 runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # runnable as `python bench/<name>.py`

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench._records_server import database  # noqa: E402
from records.base import utcnow  # noqa: E402
from records.lists import EntryFilter, query_entries  # noqa: E402
from records.models import NumberEntry  # noqa: E402
from screening.numberlist import EntrySource, EntryStatus, ListName, MatchKind  # noqa: E402

PAGE = 50


def fill(db: object, rows: int) -> None:
    now = utcnow()
    batch = 50_000
    for start in range(0, rows, batch):
        chunk = [
            {"list": ListName.BLOCK, "kind": MatchKind.EXACT, "value": f"+86139{i:08d}", "reason": "bench",
             "source": EntrySource.IMPORT, "author": "bench", "status": EntryStatus.ACTIVE, "created_at": now,
             "updated_at": now}
            for i in range(start, min(rows, start + batch))
        ]  # fmt: skip
        with db.session() as s:  # type: ignore[attr-defined]
            s.execute(insert(NumberEntry), chunk)


def timed(label: str, action: Callable[[], object]) -> None:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    print(f"{label:<44} {statistics.median(runs) * 1000:8.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with database(args.database_url) as db:
        started = time.perf_counter()
        fill(db, args.rows)
        print(f"filled {args.rows:,} entries in {time.perf_counter() - started:.1f} s")
        if db.engine.dialect.name == "postgresql":  # what autovacuum would do soon after a bulk load
            with db.engine.connect() as conn:
                conn.execute(text("ANALYZE list_entries"))
                conn.commit()
        with db.session() as s:
            top = s.scalar(select(func.max(NumberEntry.id))) or 0
            deep = top - 10_000 * PAGE  # the id before which page 10,001 starts

            def page(flt: EntryFilter, offset: int = 0) -> object:
                return query_entries(s, flt, limit=PAGE, offset=offset)

            timed("first page (count + 50 rows)", lambda: page(EntryFilter()))
            timed("page 10,001 by keyset (before_id)", lambda: page(EntryFilter(before_id=deep)))
            timed("page 10,001 by offset (the old way)", lambda: page(EntryFilter(), offset=10_000 * PAGE))
            active = EntryFilter(list=ListName.BLOCK, status=EntryStatus.ACTIVE, before_id=deep)
            timed("block+active, page 10,001 by keyset", lambda: page(active))
            timed("number-prefix search, many hits ('1390')", lambda: page(EntryFilter(search="1390")))
            first = query_entries(s, EntryFilter(search="1390"), limit=PAGE)[0][-1].id
            timed("  … its next page by keyset", lambda: page(EntryFilter(search="1390", before_id=first)))
            timed("substring search, many hits ('5678')", lambda: page(EntryFilter(search="5678")))
            timed("number search, one hit", lambda: page(EntryFilter(search=f"139{args.rows // 2:08d}")))
            timed("substring search, no hit ('x9')", lambda: page(EntryFilter(search="x9")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
