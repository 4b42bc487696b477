"""The number-list matching engine and the call history."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from numbering import normalize
from screening.errors import NumberListError
from screening.history import InMemoryCallHistory
from screening.numberlist import EntryStatus, InMemoryNumberLists, ListEntry, ListName, MatchKind, compile_entry
from tests.screening.conftest import DAYTIME

CALLER = normalize("075583211234")  # +8675583211234


def entry(kind: MatchKind, value: str, **kw: object) -> ListEntry:
    return ListEntry(ListName.BLOCK, kind, value, **kw)  # type: ignore[arg-type]


def test_exact_prefix_range_and_pattern_match_most_specific_first() -> None:
    lists = InMemoryNumberLists(
        [
            entry(MatchKind.PATTERN, r"\+86755\d+"),
            entry(MatchKind.PREFIX, "+86755"),
            entry(MatchKind.PREFIX, "+867558321"),
            entry(MatchKind.RANGE, "+8675583210000-+8675583219999"),
            entry(MatchKind.EXACT, "+8675583211234"),
            entry(MatchKind.EXACT, "+8675583211235"),
            entry(MatchKind.PREFIX, "+86756"),
        ],
        version=1,
    )
    kinds = [(m.entry.kind, m.entry.value) for m in lists.lookup(CALLER, DAYTIME)]
    assert kinds == [
        (MatchKind.EXACT, "+8675583211234"),
        (MatchKind.RANGE, "+8675583210000-+8675583219999"),
        (MatchKind.PREFIX, "+867558321"),
        (MatchKind.PREFIX, "+86755"),
        (MatchKind.PATTERN, r"\+86755\d+"),
    ]


def test_overlapping_ranges_are_all_found() -> None:
    lists = InMemoryNumberLists(
        [
            entry(MatchKind.RANGE, "+8675583200000-+8675583299999"),  # wide, starts early
            entry(MatchKind.RANGE, "+8675583210000-+8675583210999"),  # narrow, ends before the caller
            entry(MatchKind.RANGE, "+8675583211000-+8675583211300"),
        ],
        version=1,
    )
    values = {m.entry.value for m in lists.lookup(CALLER, DAYTIME)}
    assert values == {"+8675583200000-+8675583299999", "+8675583211000-+8675583211300"}


def test_only_active_unexpired_entries_match() -> None:
    lists = InMemoryNumberLists(
        [
            entry(MatchKind.EXACT, "+8675583211234", status=EntryStatus.PROPOSED),
            entry(MatchKind.EXACT, "+8675583211234", status=EntryStatus.LIFTED),
            entry(MatchKind.PREFIX, "+86755", expires_at=DAYTIME - timedelta(seconds=1)),
            entry(MatchKind.PREFIX, "+867558", expires_at=DAYTIME + timedelta(days=1)),
        ],
        version=1,
    )
    assert [m.entry.value for m in lists.lookup(CALLER, DAYTIME)] == ["+867558"]
    assert lists.lookup(normalize("anonymous"), DAYTIME) == []


def test_reload_swaps_atomically_and_skips_bad_entries() -> None:
    lists = InMemoryNumberLists([entry(MatchKind.EXACT, "+8675583211234")], version=1)
    assert lists.version == 1 and len(lists.lookup(CALLER, DAYTIME)) == 1
    lists.replace([entry(MatchKind.PATTERN, "1[3-9"), entry(MatchKind.PREFIX, "+86756")], version=2)
    assert lists.version == 2 and lists.rejected == 1 and len(lists) == 1
    assert lists.lookup(CALLER, DAYTIME) == []


def test_lookups_during_reloads_always_see_a_complete_index() -> None:
    old = [entry(MatchKind.EXACT, "+8675583211234")] + [entry(MatchKind.EXACT, f"+86138{i:08d}") for i in range(20000)]
    new = [entry(MatchKind.PREFIX, "+867558321")] + [entry(MatchKind.EXACT, f"+86139{i:08d}") for i in range(20000)]
    lists = InMemoryNumberLists(old, version=1)
    done = threading.Event()
    results: list[int] = []

    def reader() -> None:
        while not done.is_set():
            results.append(len(lists.lookup(CALLER, DAYTIME)))

    thread = threading.Thread(target=reader, name="lookup-reader")
    thread.start()
    for version in range(2, 6):
        lists.replace(new if version % 2 == 0 else old, version)
    done.set()
    thread.join()
    assert results and set(results) == {1}


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (MatchKind.PATTERN, "1[3-9", "pattern entry '1[3-9' is not a valid regular expression"),
        (MatchKind.EXACT, "138-abc", "exact entry '138-abc' is not a normalised number"),
        (MatchKind.RANGE, "+86100-+8610", "needs equal-length ends"),
        (MatchKind.RANGE, "+86109-+86100", "needs equal-length ends with FIRST <= LAST"),
        (MatchKind.RANGE, "+86100", "is not FIRST-LAST"),
    ],
)
def test_bad_entries_name_themselves(kind: MatchKind, value: str, message: str) -> None:
    with pytest.raises(NumberListError, match=message.replace("[", r"\[").replace("+", r"\+")):
        compile_entry(entry(kind, value))


def test_history_counts_numbers_prefixes_and_confirmations() -> None:
    history = InMemoryCallHistory(max_age=timedelta(hours=1))
    for minutes in (0, 10, 20):
        history.note_call("+8675583211234", DAYTIME + timedelta(minutes=minutes))
    history.note_call("+8675583219999", DAYTIME + timedelta(minutes=20))
    history.note_call(None, DAYTIME)
    assert history.count_from("+8675583211234", DAYTIME + timedelta(minutes=5)) == 2
    assert history.count_prefix("+867558321", DAYTIME) == 4
    assert history.count_prefix("+867558322", DAYTIME) == 0
    history.note_call("+8675583211234", DAYTIME + timedelta(hours=2))  # prunes what is older than max_age
    assert history.count_from("+8675583211234", DAYTIME - timedelta(days=1)) == 1
    history.note_confirmation("+8675583211234", DAYTIME)
    assert history.agent_confirmations("+8675583211234", DAYTIME - timedelta(days=1)) == 1
