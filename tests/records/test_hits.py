"""List-entry hit counts: counted in memory on the screener's lookups, written in one batch by the list poll."""

from __future__ import annotations

from datetime import timedelta

import pytest

from numbering import normalize
from records import Database, ListSync
from records.base import utcnow
from records.errors import StorageError
from records.hits import CountingNumberLists, HitCounter
from records.lists import EntryDraft, create_entry, get_entry
from records.models import NumberEntry
from screening.numberlist import InMemoryNumberLists, ListName, MatchKind


def test_lookups_are_counted_and_flushed_by_the_poll(database: Database) -> None:
    with database.session() as s:
        exact = create_entry(s, EntryDraft(ListName.BLOCK, MatchKind.EXACT, "13812345678"), actor="m").id
        prefix = create_entry(s, EntryDraft(ListName.ALLOW, MatchKind.PREFIX, "+86138"), actor="m").id
    hits = HitCounter()
    lists = CountingNumberLists(InMemoryNumberLists(), hits)
    sync = ListSync(database, lists, hits=hits)
    sync.load()
    now = utcnow()
    for minute in range(3):
        lists.lookup(normalize("13812345678"), now + timedelta(minutes=minute))
    lists.lookup(normalize("13899990000"), now)  # only the prefix
    lists.lookup(normalize("13700000000"), now)  # nothing
    with database.session() as s:
        assert get_entry(s, exact).hit_count == 0  # nothing written on the call path
    sync.poll()
    with database.session() as s:
        assert get_entry(s, exact).hit_count == 3
        assert get_entry(s, exact).last_hit_at == now + timedelta(minutes=2)
        assert get_entry(s, prefix).hit_count == 4
    sync.poll()  # nothing pending: nothing changes
    with database.session() as s:
        assert get_entry(s, exact).hit_count == 3
    assert lists.version == sync.loaded_version  # counting writes do not look like list changes


def test_a_failed_flush_keeps_the_counts_for_the_next_one(database: Database) -> None:
    with database.session() as s:
        entry = create_entry(s, EntryDraft(ListName.BLOCK, MatchKind.EXACT, "13812345678"), actor="m").id
    hits = HitCounter()
    hits.add([entry, entry], utcnow())

    class Unreachable:
        """Fault injection: the database refuses the batch."""

        def execute(self, *_: object) -> None:
            raise StorageError("database unreachable")

    with pytest.raises(StorageError):
        hits.flush(Unreachable())  # type: ignore[arg-type]
    hits.add([entry], utcnow())
    with database.session() as s:
        assert hits.flush(s) == 1
    with database.session() as s:
        row = s.get(NumberEntry, entry)
        assert row is not None and row.hit_count == 3
