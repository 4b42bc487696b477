from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from records import CsvImportError, Database, InvalidInputError
from records.list_csv import export_entries, import_entries
from records.models import NumberEntry
from screening.numberlist import EntrySource, ListName

ZONE = ZoneInfo("Asia/Shanghai")
GOOD = "value,kind,list,reason,expires_at\n13812345678,,,abuse,\n0755123,prefix,,switchboard burst,2099-01-01\n"


def _count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(NumberEntry)) or 0


def test_bad_rows_are_all_reported_and_nothing_is_written(database: Database) -> None:
    text = GOOD + "abc,,,,\n13812345678,,,dup,\n1390000,range,,,\n13900000000,exact,greylist,,\n"
    with pytest.raises(CsvImportError) as info, database.session() as s:
        import_entries(s, text, default_list=ListName.BLOCK, zone=ZONE, actor="key:1")
    errors = info.value.errors
    assert [e.line for e in errors] == [4, 5, 6, 7]
    assert "not a valid phone number" in errors[0].message
    assert "duplicate" in errors[1].message
    assert "FIRST-LAST" in errors[2].message
    assert "greylist" in errors[3].message
    assert _count(database) == 0


def test_import_then_reimport_skips_existing_and_export_round_trips(database: Database) -> None:
    with database.session() as s:
        result = import_entries(s, GOOD, default_list=ListName.BLOCK, zone=ZONE, actor="key:1")
    assert (result.rows, result.created, result.skipped_existing) == (2, 2, 0)
    with database.session() as s:
        again = import_entries(s, GOOD, default_list=ListName.BLOCK, zone=ZONE, actor="key:1")
    assert (again.created, again.skipped_existing) == (0, 2)
    with database.session() as s:
        exported = "".join(export_entries(s, list_name=ListName.BLOCK, status=None))
        sources = set(s.scalars(select(NumberEntry.source)))
    assert sources == {EntrySource.IMPORT}
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["kind"], r["value"], r["reason"]) for r in rows] == [
        ("exact", "+8613812345678", "abuse"),
        ("prefix", "+86755123", "switchboard burst"),
    ]
    assert rows[1]["expires_at"].startswith("2098-12-31T16:00:00")  # local midnight in Shanghai
    with database.session() as s:  # the export imports into an empty allow list unchanged
        moved = import_entries(
            s, exported.replace("block,", "allow,"), default_list=ListName.BLOCK, zone=ZONE, actor="key:1"
        )
    assert moved.created == 2


@pytest.mark.parametrize(("text", "message"), [("", "empty"), ("foo,bar\n1,2\n", "lacks column")])
def test_unusable_files_are_refused(database: Database, text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message), database.session() as s:
        import_entries(s, text, default_list=ListName.BLOCK, zone=ZONE, actor="key:1")
