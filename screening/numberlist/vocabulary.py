"""The number-list vocabulary: which lists exist, how an entry matches, its status and source.

One module that the matcher (:mod:`screening.numberlist.matcher`), the records layer, the admin API and the CLI
all use, so that "a number-list entry" means one thing everywhere. The word is *number list* for the concept and
*entry* for one line of it; ``block``/``allow``/``payphone``/``switchboard`` are the lists' names. Persistence
lives in ``records``; nothing here touches a database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from numbering import CallerNumber


class ListName(enum.StrEnum):
    BLOCK = "block"
    ALLOW = "allow"
    PAYPHONE = "payphone"  # known public (pay) phone ranges — raise suspicion
    SWITCHBOARD = "switchboard"  # organisations' duty / switchboard ranges — raise suspicion


class MatchKind(enum.StrEnum):
    EXACT = "exact"  # value: a normalised number ("+8613812345678", "10086")
    PREFIX = "prefix"  # value: leading part of normalised numbers ("+86755123")
    RANGE = "range"  # value: "FIRST-LAST", inclusive, normalised numbers of equal length
    PATTERN = "pattern"  # value: a regular expression that must fullmatch the normalised number


class EntryStatus(enum.StrEnum):
    PROPOSED = "proposed"  # automatic entries start here; not enforced until a manager approves
    ACTIVE = "active"
    LIFTED = "lifted"


class EntrySource(enum.StrEnum):
    AUTO = "auto"
    AGENT = "agent"
    MANAGER = "manager"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One number-list entry as the matching engine sees it (the records layer owns persistence)."""

    list: ListName
    kind: MatchKind
    value: str
    id: int | None = None
    status: EntryStatus = EntryStatus.ACTIVE
    source: EntrySource = EntrySource.MANAGER
    reason: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ListMatch:
    entry: ListEntry
    specificity: int  # exact > range > prefix (by length) > pattern: see screening.numberlist.precedence


class NumberLists(Protocol):
    """The in-memory matching engine the records layer feeds (reload without restarting calls)."""

    def replace(self, entries: list[ListEntry], version: int) -> None:
        """Swap in a complete new set of entries atomically; ``version`` increases with every change."""
        ...

    @property
    def version(self) -> int: ...

    def lookup(self, caller: CallerNumber, now: datetime) -> list[ListMatch]:
        """Active, unexpired entries matching ``caller`` in precedence order (:mod:`.precedence`)."""
        ...
