"""The number-list matching engine: exact numbers, prefixes, ranges and patterns, in memory.

Built for a million entries: an exact match is one dict lookup, prefixes are one dict lookup per prefix length of
the caller's number (at most ~16), ranges are found by bisecting the sorted range starts (with a running maximum
of range ends, so overlapping ranges are still found), and patterns — expected to be few — are tried in turn.
:meth:`InMemoryNumberLists.replace` builds a complete new index and swaps one reference, so a reload never blocks
or disturbs a lookup in progress. Only active entries are indexed; expiry is checked at lookup time.

Bad entries in a reload are skipped and logged (the records layer still holds them); :func:`compile_entry` raises
:class:`~screening.errors.NumberListError` so the admin API can refuse them up front.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from numbering import CallerNumber
from screening.errors import NumberListError
from screening.numberlist.precedence import (
    SPECIFICITY_EXACT,
    SPECIFICITY_PATTERN,
    SPECIFICITY_PREFIX,
    SPECIFICITY_RANGE,
    match_key,
    ordered,
)
from screening.numberlist.vocabulary import EntryStatus, ListEntry, ListMatch, MatchKind

logger = logging.getLogger(__name__)

_NUMBER_RE = re.compile(r"\+?\d{1,20}")
MAX_PATTERN_LEN = 200


def compile_entry(entry: ListEntry) -> re.Pattern[str] | tuple[str, str] | str:
    """Validate one entry: its value as the matcher will use it; raise NumberListError naming the entry."""
    value = entry.value.strip()
    if entry.kind in (MatchKind.EXACT, MatchKind.PREFIX):
        if not _NUMBER_RE.fullmatch(value):
            raise NumberListError(f"{entry.kind.value} entry {value!r} is not a normalised number (+8613812345678)")
        return value
    if entry.kind is MatchKind.RANGE:
        first, sep, last = value.partition("-")
        if not sep or not _NUMBER_RE.fullmatch(first) or not _NUMBER_RE.fullmatch(last):
            raise NumberListError(f"range entry {value!r} is not FIRST-LAST of normalised numbers")
        if len(first) != len(last) or first > last:
            raise NumberListError(f"range entry {value!r} needs equal-length ends with FIRST <= LAST")
        return first, last
    if len(value) > MAX_PATTERN_LEN:
        raise NumberListError(f"pattern entry {value[:40]!r}… is longer than {MAX_PATTERN_LEN} characters")
    try:
        return re.compile(value)
    except re.error as exc:
        raise NumberListError(f"pattern entry {value!r} is not a valid regular expression: {exc}") from None


@dataclass
class _Ranges:
    """Ranges of one number length, sorted by start, with the running maximum of ends for overlap scans."""

    starts: list[str] = field(default_factory=list)
    ends: list[str] = field(default_factory=list)
    max_end: list[str] = field(default_factory=list)
    entries: list[ListEntry] = field(default_factory=list)

    def seal(self) -> None:
        order = sorted(range(len(self.starts)), key=self.starts.__getitem__)
        self.starts = [self.starts[i] for i in order]
        self.ends = [self.ends[i] for i in order]
        self.entries = [self.entries[i] for i in order]
        running = ""
        self.max_end = []
        for end in self.ends:
            running = max(running, end)
            self.max_end.append(running)

    def find(self, number: str) -> list[ListEntry]:
        found: list[ListEntry] = []
        i = bisect.bisect_right(self.starts, number) - 1
        while i >= 0 and self.max_end[i] >= number:
            if self.ends[i] >= number:
                found.append(self.entries[i])
            i -= 1
        return found


@dataclass
class _Index:
    version: int = 0
    exact: dict[str, list[ListEntry]] = field(default_factory=lambda: defaultdict(list))
    prefix: dict[str, list[ListEntry]] = field(default_factory=lambda: defaultdict(list))
    prefix_lengths: list[int] = field(default_factory=list)
    ranges: dict[int, _Ranges] = field(default_factory=dict)
    patterns: list[tuple[re.Pattern[str], ListEntry]] = field(default_factory=list)
    size: int = 0


def _build(entries: list[ListEntry], version: int, status: EntryStatus) -> tuple[_Index, int]:
    index = _Index(version=version)
    rejected = 0
    for entry in entries:
        if entry.status is not status:
            continue
        try:
            compiled = compile_entry(entry)
        except NumberListError as exc:
            rejected += 1
            logger.error("number list %s entry id=%s skipped: %s", entry.list.value, entry.id, exc)
            continue
        if isinstance(compiled, re.Pattern):
            index.patterns.append((compiled, entry))
        elif isinstance(compiled, tuple):
            ranges = index.ranges.setdefault(len(compiled[0]), _Ranges())
            ranges.starts.append(compiled[0])
            ranges.ends.append(compiled[1])
            ranges.entries.append(entry)
        elif entry.kind is MatchKind.EXACT:
            index.exact[compiled].append(entry)
        else:
            index.prefix[compiled].append(entry)
        index.size += 1
    for ranges in index.ranges.values():
        ranges.seal()
    index.prefix_lengths = sorted({len(p) for p in index.prefix}, reverse=True)
    return index, rejected


def _live(entry: ListEntry, now: datetime) -> bool:
    return entry.expires_at is None or entry.expires_at > now


class InMemoryNumberLists:
    """:class:`~screening.interfaces.NumberLists` in memory; the records layer calls :meth:`replace`.

    ``status``: which entries are indexed — the enforced (active) ones for the screener; the lookup API keeps a
    second, small index of the *proposed* ones (it reports a pending proposal)."""

    def __init__(
        self, entries: list[ListEntry] | None = None, version: int = 0, *, status: EntryStatus = EntryStatus.ACTIVE
    ) -> None:
        self._index = _Index(version=version)
        self._status = status
        self.loaded = False  # True once replace() ran: an empty index is then "no entries", not "not loaded yet"
        self.rejected = 0  # entries skipped by the last replace()
        if entries:
            self.replace(entries, version)

    def replace(self, entries: list[ListEntry], version: int) -> None:
        index, rejected = _build(entries, version, self._status)
        self._index = index  # one reference swap: lookups in progress keep the old index
        self.rejected = rejected
        self.loaded = True
        logger.info("number lists v%d loaded: %d %s entries, %d rejected", version, index.size, self._status.value,
                    rejected)  # fmt: skip

    @property
    def version(self) -> int:
        return self._index.version

    def __len__(self) -> int:
        return self._index.size

    def lookup(self, caller: CallerNumber, now: datetime) -> list[ListMatch]:
        number = caller.normalized
        if number is None:
            return []
        index = self._index
        matches = [ListMatch(e, SPECIFICITY_EXACT) for e in index.exact.get(number, ())]
        ranges = index.ranges.get(len(number))
        if ranges is not None:
            matches.extend(ListMatch(e, SPECIFICITY_RANGE) for e in ranges.find(number))
        for length in index.prefix_lengths:
            if length <= len(number):
                entries = index.prefix.get(number[:length], ())
                matches.extend(ListMatch(e, SPECIFICITY_PREFIX + length) for e in entries)
        matches.extend(ListMatch(e, SPECIFICITY_PATTERN) for p, e in index.patterns if p.fullmatch(number))
        return ordered([m for m in matches if _live(m.entry, now)], match_key)
