"""Number lists: the vocabulary (:mod:`.vocabulary`) and the in-memory matcher (:mod:`.matcher`) and
the one precedence rule both the screener and the lookup API use (:mod:`.precedence`)."""

from screening.numberlist.matcher import MAX_PATTERN_LEN, InMemoryNumberLists, compile_entry
from screening.numberlist.precedence import (
    SPECIFICITY_EXACT,
    SPECIFICITY_PATTERN,
    SPECIFICITY_PREFIX,
    SPECIFICITY_RANGE,
    decisive,
    match_key,
    ordered,
    precedence_key,
    specificity,
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
    "decisive",
    "match_key",
    "ordered",
    "precedence_key",
    "specificity",
]
