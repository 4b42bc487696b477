from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from records import ConflictError, Database, InvalidInputError, NotFoundError
from records.base import utcnow
from records.entry_values import normalize_value, value_matches
from records.lists import (
    EntryDraft,
    EntryFilter,
    active_entries,
    create_entry,
    current_version,
    delete_entry,
    query_entries,
    set_status,
    update_entry,
)
from records.models import AuditEntry
from screening.numberlist import EntrySource, EntryStatus, ListName, MatchKind


@pytest.mark.parametrize(
    ("kind", "given", "stored"),
    [
        (MatchKind.EXACT, "138 1234 5678", "+8613812345678"),
        (MatchKind.EXACT, "0755-12345678", "+8675512345678"),
        (MatchKind.PREFIX, "0755123", "+86755123"),
        (MatchKind.PREFIX, "138", "+86138"),
        (MatchKind.PREFIX, "+44", "+44"),
        (MatchKind.RANGE, "075512340000-075512349999", "+8675512340000-+8675512349999"),
        (MatchKind.PATTERN, r"\+86755\d{4}0000", r"\+86755\d{4}0000"),
    ],
)
def test_values_are_stored_in_normal_form(kind: MatchKind, given: str, stored: str) -> None:
    assert normalize_value(kind, given) == stored


@pytest.mark.parametrize(
    ("kind", "given", "message"),
    [
        (MatchKind.EXACT, "abc", "not a valid phone number"),
        (MatchKind.PREFIX, "5", "ambiguous"),
        (MatchKind.PREFIX, "12x", "must be digits"),
        (MatchKind.RANGE, "13812345678", "FIRST-LAST"),
        (MatchKind.RANGE, "13812345679-13812345678", "above the last"),
        (MatchKind.PATTERN, "1[3-9", "not a valid regular expression"),
        (MatchKind.EXACT, "  ", "empty"),
    ],
)
def test_bad_values_name_the_problem(kind: MatchKind, given: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        normalize_value(kind, given)


def test_value_matching_for_each_kind() -> None:
    n = "+8675512345678"
    assert value_matches(MatchKind.EXACT, n, n)
    assert value_matches(MatchKind.PREFIX, "+86755", n)
    assert value_matches(MatchKind.RANGE, "+8675512340000-+8675512349999", n)
    assert not value_matches(MatchKind.RANGE, "+8675512350000-+8675512359999", n)
    assert value_matches(MatchKind.PATTERN, r"\+86755\d+", n)
    assert not value_matches(MatchKind.PATTERN, r"\+86755", n)


def test_create_update_lift_delete_are_audited_and_versioned(database: Database) -> None:
    with database.session() as s:
        v0 = current_version(s)
        entry = create_entry(
            s, EntryDraft(ListName.BLOCK, MatchKind.EXACT, "13812345678", reason="abuse"), actor="key:1"
        )
        entry_id = entry.id
    with database.session() as s:
        assert current_version(s) == v0 + 1
        with pytest.raises(ConflictError, match="already has exact entry"):
            create_entry(s, EntryDraft(ListName.BLOCK, MatchKind.EXACT, "+8613812345678"), actor="key:1")
    with database.session() as s:
        update_entry(s, entry_id, {"reason": "repeated abuse"}, actor="key:2")
        set_status(s, entry_id, EntryStatus.LIFTED, actor="key:2")
    with database.session() as s:
        assert current_version(s) == v0 + 3
        assert active_entries(s, utcnow()) == []
        delete_entry(s, entry_id, actor="key:3")
    with database.session() as s:
        audit = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [a.action for a in audit] == ["entry.create", "entry.update", "entry.update", "entry.delete"]
        assert json.loads(audit[2].before or "")["status"] == "active"
        assert json.loads(audit[2].after or "")["status"] == "lifted"
        assert audit[3].actor == "key:3"
        with pytest.raises(NotFoundError):
            update_entry(s, entry_id, {"reason": "x"}, actor="key:1")


def test_unknown_update_field_is_refused(database: Database) -> None:
    with database.session() as s:
        entry = create_entry(s, EntryDraft(ListName.ALLOW, MatchKind.PREFIX, "0755"), actor="a")
        with pytest.raises(InvalidInputError, match="cannot change author"):
            update_entry(s, entry.id, {"author": "me"}, actor="a")


def test_query_filters_and_pages(database: Database) -> None:
    with database.session() as s:
        for i in range(12):
            create_entry(
                s,
                EntryDraft(
                    ListName.BLOCK,
                    MatchKind.EXACT,
                    f"1381234{i:04d}",
                    source=EntrySource.AUTO if i % 2 else EntrySource.MANAGER,
                    status=EntryStatus.PROPOSED if i % 3 == 0 else EntryStatus.ACTIVE,
                ),
                actor="a",
            )
        create_entry(s, EntryDraft(ListName.ALLOW, MatchKind.EXACT, "13900000000"), actor="a")
    with database.session() as s:
        rows, count = query_entries(s, EntryFilter(list=ListName.BLOCK), limit=5)
        assert count == 12 and len(rows) == 5
        rows, count = query_entries(s, EntryFilter(status=EntryStatus.PROPOSED), limit=50)
        assert count == 4
        rows, count = query_entries(s, EntryFilter(source=EntrySource.AUTO, search="0011"), limit=50)
        assert [r.value for r in rows] == ["+8613812340011"]


def test_expired_entries_are_not_enforced(database: Database) -> None:
    now = utcnow()
    with database.session() as s:
        create_entry(
            s,
            EntryDraft(ListName.BLOCK, MatchKind.EXACT, "13812345678", expires_at=now + timedelta(hours=1)),
            actor="a",
        )
        with pytest.raises(InvalidInputError, match="in the past"):
            create_entry(
                s,
                EntryDraft(ListName.BLOCK, MatchKind.EXACT, "13812345679", expires_at=now - timedelta(hours=1)),
                actor="a",
            )
    with database.session() as s:
        assert len(active_entries(s, now)) == 1
        assert active_entries(s, now + timedelta(hours=2)) == []
