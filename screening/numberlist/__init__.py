"""Number lists: the vocabulary (:mod:`.vocabulary`) and the in-memory matcher (:mod:`.matcher`)."""

from screening.numberlist.matcher import (
    MAX_PATTERN_LEN,
    SPECIFICITY_EXACT,
    SPECIFICITY_PATTERN,
    SPECIFICITY_PREFIX,
    SPECIFICITY_RANGE,
    InMemoryNumberLists,
    compile_entry,
)
from screening.numberlist.vocabulary import (
    EntrySource,
    EntryStatus,
    ListEntry,
    ListMatch,
    ListName,
    MatchKind,
    NumberLists,
)

__all__ = [
    "MAX_PATTERN_LEN",
    "SPECIFICITY_EXACT",
    "SPECIFICITY_PATTERN",
    "SPECIFICITY_PREFIX",
    "SPECIFICITY_RANGE",
    "EntrySource",
    "EntryStatus",
    "InMemoryNumberLists",
    "ListEntry",
    "ListMatch",
    "ListName",
    "MatchKind",
    "NumberLists",
    "compile_entry",
]
