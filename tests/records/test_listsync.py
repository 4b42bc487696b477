from __future__ import annotations

import threading
from datetime import datetime

from screening.interfaces import EntryStatus, ListEntry, ListMatch, ListName, MatchKind
from screening.numbers import CallerNumber
from screening.records import Database, ListSync
from screening.records.lists import EntryDraft, create_entry, set_status


class RecordingLists:
    """A NumberLists that remembers what it was given (the matcher itself is tested by the screening suite)."""

    def __init__(self) -> None:
        self.loads: list[tuple[list[ListEntry], int]] = []
        self.changed = threading.Event()
        self._version = -1

    def replace(self, entries: list[ListEntry], version: int) -> None:
        self.loads.append((entries, version))
        self._version = version
        self.changed.set()

    @property
    def version(self) -> int:
        return self._version

    def lookup(self, caller: CallerNumber, now: datetime) -> list[ListMatch]:
        return []


def test_poll_reloads_only_after_a_change(database: Database) -> None:
    lists = RecordingLists()
    sync = ListSync(database, lists)
    sync.load()
    assert lists.loads[-1][0] == []
    assert sync.poll() is False
    with database.session() as s:
        entry = create_entry(
            s, EntryDraft(ListName.BLOCK, MatchKind.EXACT, "13812345678", status=EntryStatus.PROPOSED), actor="a"
        )
    assert sync.poll() is True
    assert lists.loads[-1][0] == []  # proposed entries are not enforced
    with database.session() as s:
        set_status(s, entry.id, EntryStatus.ACTIVE, actor="m")
    assert sync.poll() is True
    entries, version = lists.loads[-1]
    assert [(e.value, e.status) for e in entries] == [("+8613812345678", EntryStatus.ACTIVE)]
    assert version == sync.loaded_version == lists.version
    assert sync.poll() is False


def test_background_thread_picks_up_a_change_from_another_node(database: Database) -> None:
    lists = RecordingLists()
    sync = ListSync(database, lists, interval_s=0.05)
    sync.start()
    try:
        lists.changed.clear()
        other_node = Database(database.url.render_as_string(hide_password=False))
        with other_node.session() as s:
            create_entry(s, EntryDraft(ListName.ALLOW, MatchKind.PREFIX, "0755"), actor="a")
        other_node.dispose()
        assert lists.changed.wait(10)
        assert [e.value for e in lists.loads[-1][0]] == ["+86755"]
    finally:
        sync.stop()
