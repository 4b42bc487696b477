"""Recent calls in memory, for the repeat-caller, prefix-burst and agent-confirmation signals.

The records layer may feed it from the shared database (several nodes); a single node can use it as is. Times are
kept per number and per prefix of the number (every length), each list sorted, so a count is one bisect. Entries
older than ``max_age`` are dropped as new calls arrive, which bounds memory.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from datetime import datetime, timedelta

DEFAULT_MAX_AGE = timedelta(days=31)
MIN_PREFIX = 3


class InMemoryCallHistory:
    """:class:`~screening.interfaces.CallHistory` in memory; thread-safe (calls arrive on several threads)."""

    def __init__(self, max_age: timedelta = DEFAULT_MAX_AGE) -> None:
        self._max_age = max_age
        self._calls: dict[str, list[datetime]] = defaultdict(list)
        self._prefixes: dict[str, list[datetime]] = defaultdict(list)
        self._confirmations: dict[str, list[datetime]] = defaultdict(list)
        self._lock = threading.Lock()

    def note_call(self, normalized: str | None, at: datetime) -> None:
        if normalized is None:
            return
        with self._lock:
            self._insert(self._calls, normalized, at)
            for length in range(MIN_PREFIX, len(normalized)):
                self._insert(self._prefixes, normalized[:length], at)

    def note_confirmation(self, normalized: str, at: datetime) -> None:
        """An agent transferred a call from this number to the analysis queue."""
        with self._lock:
            self._insert(self._confirmations, normalized, at)

    def count_from(self, normalized: str, since: datetime) -> int:
        return self._count(self._calls, normalized, since)

    def count_prefix(self, prefix: str, since: datetime) -> int:
        """Calls from numbers that start with ``prefix`` (longer than it), since ``since``."""
        return self._count(self._prefixes, prefix, since)

    def agent_confirmations(self, normalized: str, since: datetime) -> int:
        return self._count(self._confirmations, normalized, since)

    def _count(self, table: dict[str, list[datetime]], key: str, since: datetime) -> int:
        with self._lock:
            times = table.get(key)
            return 0 if not times else len(times) - bisect.bisect_left(times, since)

    def _insert(self, table: dict[str, list[datetime]], key: str, at: datetime) -> None:
        times = table[key]
        bisect.insort(times, at)
        horizon = at - self._max_age
        if times[0] < horizon:
            del times[: bisect.bisect_left(times, horizon)]
