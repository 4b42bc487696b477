from __future__ import annotations

import time
from pathlib import Path

import pytest

from numbering import normalize
from records import Database, ListSync
from records.base import utcnow
from records.errors import StorageError
from records.lists import EntryDraft, create_entry, current_version, set_status
from screening.numberlist import EntryStatus, InMemoryNumberLists, ListName, MatchKind

CALLER = normalize("13812345678")


def _blocked(lists: InMemoryNumberLists) -> list[str]:
    return [m.entry.value for m in lists.lookup(CALLER, utcnow()) if m.entry.list is ListName.BLOCK]


def test_poll_reloads_the_matcher_only_after_a_change(database: Database) -> None:
    lists = InMemoryNumberLists()
    sync = ListSync(database, lists)
    sync.load()
    assert sync.poll() is False
    with database.session() as s:
        draft = EntryDraft(ListName.BLOCK, MatchKind.EXACT, "13812345678", status=EntryStatus.PROPOSED)
        entry = create_entry(s, draft, actor="a")
    assert sync.poll() is True
    assert _blocked(lists) == []  # proposed entries are not enforced
    with database.session() as s:
        set_status(s, entry.id, EntryStatus.ACTIVE, actor="m")
        version = current_version(s)
    assert sync.poll() is True
    assert _blocked(lists) == ["+8613812345678"]
    assert lists.version == sync.loaded_version == version
    assert sync.poll() is False


def test_background_thread_picks_up_a_change_from_another_node(fresh_database: Database) -> None:
    lists = InMemoryNumberLists()
    sync = ListSync(fresh_database, lists, interval_s=0.05)
    sync.start()
    try:
        other_node = Database(fresh_database.url.render_as_string(hide_password=False))
        with other_node.session() as s:
            create_entry(s, EntryDraft(ListName.BLOCK, MatchKind.PREFIX, "138123"), actor="a")
        other_node.dispose()
        deadline = time.monotonic() + 10
        while not _blocked(lists) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _blocked(lists) == ["+86138123"]
    finally:
        sync.stop()


def test_a_node_started_with_the_database_down_enforces_lists_once_it_is_back(tmp_path: Path) -> None:
    """The first load fails (no schema yet: the database is not there for us); the poller must run anyway."""
    database = Database(f"sqlite:///{tmp_path / 'late.db'}")
    lists = InMemoryNumberLists()
    sync = ListSync(database, lists, interval_s=0.05)
    try:
        with pytest.raises(StorageError):
            sync.start()
        database.migrate()  # the database comes back
        with database.session() as s:
            create_entry(s, EntryDraft(ListName.BLOCK, MatchKind.EXACT, "13812345678"), actor="m")
        deadline = time.monotonic() + 5
        while not _blocked(lists) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _blocked(lists) == ["+8613812345678"]
    finally:
        sync.stop()
        database.dispose()
