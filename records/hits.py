"""Hit counts of number-list entries: how often, and when last, an entry matched a screened call.

The screener's lookups run in memory on the call path; writing a row per match there would put the database on
the hot path. :class:`CountingNumberLists` wraps the in-memory engine and only adds the matched entry ids to a
counter (a dict increment under a lock); :class:`ListSync` flushes the counter on its poll (every second),
one ``UPDATE`` per entry that was hit, all in one transaction. A failed flush puts the counts back and tries
again next time (fail open: calls never wait for it). Counts from a node that dies between flushes are lost —
at most one poll interval's worth.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from numbering import CallerNumber
from records.models import NumberEntry
from screening.numberlist import ListEntry, ListMatch, NumberLists


class HitCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()
        self._last: dict[int, datetime] = {}

    def add(self, entry_ids: list[int], at: datetime) -> None:
        with self._lock:
            for entry_id in entry_ids:
                self._counts[entry_id] += 1
                if entry_id not in self._last or self._last[entry_id] < at:
                    self._last[entry_id] = at

    def take(self) -> tuple[Counter[int], dict[int, datetime]]:
        with self._lock:
            counts, last = self._counts, self._last
            self._counts, self._last = Counter(), {}
        return counts, last

    def put_back(self, counts: Counter[int], last: dict[int, datetime]) -> None:
        with self._lock:
            self._counts.update(counts)
            for entry_id, at in last.items():
                if entry_id not in self._last or self._last[entry_id] < at:
                    self._last[entry_id] = at

    def flush(self, session: Session) -> int:
        """Write the pending counts in ``session`` (the caller commits); returns how many entries were updated."""
        counts, last = self.take()
        try:
            for entry_id, n in counts.items():
                session.execute(
                    update(NumberEntry)
                    .where(NumberEntry.id == entry_id)
                    .values(hit_count=NumberEntry.hit_count + n, last_hit_at=last[entry_id])
                )
            session.flush()
        except Exception:
            self.put_back(counts, last)
            raise
        return len(counts)


class CountingNumberLists:
    """A :class:`NumberLists` that counts which entries each lookup matched (entries without an id are skipped)."""

    def __init__(self, inner: NumberLists, hits: HitCounter) -> None:
        self._inner = inner
        self._hits = hits

    def replace(self, entries: list[ListEntry], version: int) -> None:
        self._inner.replace(entries, version)

    @property
    def version(self) -> int:
        return self._inner.version

    def lookup(self, caller: CallerNumber, now: datetime) -> list[ListMatch]:
        matches = self._inner.lookup(caller, now)
        ids = [m.entry.id for m in matches if m.entry.id is not None]
        if ids:
            self._hits.add(ids, now)
        return matches
