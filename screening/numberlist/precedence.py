"""Which of several matching list entries decides a call: one rule for the screener and the lookup API.

The rule (README, "Number-list precedence"):

1. The most specific entry wins: an exact number beats a range, a range beats a prefix, a longer prefix beats a
   shorter one, and any of them beats a pattern.
2. At equal specificity ``allow`` beats ``block`` (a wrongly blocked customer is the worse error).

Only the ``allow`` and ``block`` lists decide; ``payphone`` and ``switchboard`` entries add reasons but never
decide. Before this module the screener took whichever of two equally specific entries was loaded first and the
lookup API answered "allow always wins", so the two could disagree; both now call :func:`ordered` and
:func:`decisive`. Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from screening.numberlist.vocabulary import ListMatch, ListName, MatchKind

SPECIFICITY_EXACT = 1000
SPECIFICITY_RANGE = 500
SPECIFICITY_PREFIX = 100  # + prefix length
SPECIFICITY_PATTERN = 0
DECIDING_LISTS = frozenset({ListName.ALLOW, ListName.BLOCK})

T = TypeVar("T")
KeyOf = Callable[[T], tuple[ListName, MatchKind, str]]


def specificity(kind: MatchKind, value: str) -> int:
    """How specific an entry is; higher wins. A prefix counts its length (``+86755`` beats ``+86``)."""
    if kind is MatchKind.EXACT:
        return SPECIFICITY_EXACT
    if kind is MatchKind.RANGE:
        return SPECIFICITY_RANGE
    if kind is MatchKind.PREFIX:
        return SPECIFICITY_PREFIX + len(value.strip())
    return SPECIFICITY_PATTERN


def precedence_key(list_name: ListName, kind: MatchKind, value: str) -> tuple[int, int]:
    """Sort key, ascending = first: most specific first, ``allow`` before ``block`` at equal specificity."""
    return (-specificity(kind, value), 0 if list_name is ListName.ALLOW else 1)


def ordered(items: Sequence[T], key: KeyOf[T]) -> list[T]:
    """``items`` in precedence order; ``key`` gives an item's (list, kind, value). Stable for full ties."""
    return sorted(items, key=lambda item: precedence_key(*key(item)))


def decisive(items: Sequence[T], key: KeyOf[T]) -> T | None:
    """The item that decides allow/block among ``items`` (any order), or None when no allow/block entry matched."""
    deciding = [item for item in items if key(item)[0] in DECIDING_LISTS]
    return ordered(deciding, key)[0] if deciding else None


def match_key(match: ListMatch) -> tuple[ListName, MatchKind, str]:
    """The (list, kind, value) of an in-memory match, for :func:`ordered` and :func:`decisive`."""
    return match.entry.list, match.entry.kind, match.entry.value
