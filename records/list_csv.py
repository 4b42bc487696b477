"""Bulk CSV import and export of number lists.

Import is all or nothing: every row is validated first and every bad row reported (``CsvImportError``), and
only a clean file is written, in one transaction. Entries that already exist are skipped and counted, so the
same file can be imported twice. The export has the import's columns, so an export can be imported elsewhere.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from records.audit import record_change
from records.base import Base, utcnow
from records.csv_input import PROGRESS_EVERY, Progress, parse_time, read_rows, total_rows
from records.entry_values import normalize_value
from records.errors import CsvImportError, InvalidInputError, RowError
from records.lists import bump_version
from records.models import NumberEntry
from screening.numberlist import EntrySource, EntryStatus, ListName, MatchKind

EXPORT_COLUMNS = ("list", "kind", "value", "status", "source", "author", "reason", "created_at", "expires_at")
ALIASES = {
    "value": "value", "number": "value", "号码": "value",
    "kind": "kind", "list": "list", "status": "status", "reason": "reason", "原因": "reason",
    "expires_at": "expires_at", "expires": "expires_at",
}  # fmt: skip
INSERT_CHUNK = 10_000
MAX_REPORTED_ERRORS = 1000


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    created: int
    skipped_existing: int


def _choice(cls: type[enum.StrEnum], text: str, default: enum.StrEnum) -> enum.StrEnum:
    if not text:
        return default
    try:
        return cls(text.lower())
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInputError(f"{cls.__name__} {text!r} is not one of {allowed}") from None


def _parse_row(values: dict[str, str], default_list: ListName, zone: ZoneInfo, now: datetime) -> dict[str, object]:
    list_name = ListName(_choice(ListName, values.get("list", ""), default_list))
    kind = MatchKind(_choice(MatchKind, values.get("kind", ""), MatchKind.EXACT))
    status = EntryStatus(_choice(EntryStatus, values.get("status", ""), EntryStatus.ACTIVE))
    expires_text = values.get("expires_at", "")
    expires_at = parse_time(expires_text, zone) if expires_text else None
    if expires_at is not None and expires_at <= now:
        raise InvalidInputError(f"expiry {expires_text!r} is in the past")
    return {
        "list": list_name,
        "kind": kind,
        "value": normalize_value(kind, values.get("value", "")),
        "status": status,
        "reason": values.get("reason", "")[:500],
        "expires_at": expires_at,
    }


def parse_entries(
    text: str, *, default_list: ListName, zone: ZoneInfo, now: datetime, progress: Progress | None = None
) -> tuple[dict[tuple[ListName, MatchKind, str], dict[str, object]], int]:
    """Every row validated (all errors raised at once as :class:`CsvImportError`); the rows by key, and the count."""
    errors: list[RowError] = []
    parsed: dict[tuple[ListName, MatchKind, str], dict[str, object]] = {}
    rows = 0
    total = total_rows(text) if progress is not None else 0
    for line, values in read_rows(text, ALIASES, {"value"}):
        rows += 1
        if progress is not None and rows % PROGRESS_EVERY == 0:
            progress("validating", rows, total)
        try:
            row = _parse_row(values, default_list, zone, now)
        except InvalidInputError as exc:
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(RowError(line, str(exc)))
            continue
        key = (row["list"], row["kind"], row["value"])
        if key in parsed:
            errors.append(RowError(line, f"duplicate of an earlier row: {row['value']}"))
            continue
        parsed[key] = row  # type: ignore[index]
    if progress is not None:
        progress("validating", rows, rows)
    if errors:
        raise CsvImportError(errors, rows=rows)
    return parsed, rows


def import_entries(
    session: Session, text: str, *, default_list: ListName, zone: ZoneInfo, actor: str, progress: Progress | None = None
) -> ImportResult:
    """Validate every row, then write all of them or none (raises :class:`CsvImportError`)."""
    now = utcnow()
    parsed, rows = parse_entries(text, default_list=default_list, zone=zone, now=now, progress=progress)
    lists = {key[0] for key in parsed}
    existing = {
        (r.list, r.kind, r.value)
        for r in session.execute(
            select(NumberEntry.list, NumberEntry.kind, NumberEntry.value).where(NumberEntry.list.in_(lists))
        )
    }
    extra = {"source": EntrySource.IMPORT, "author": actor, "created_at": now, "updated_at": now}
    fresh = [row for key, row in parsed.items() if key not in existing]
    for row in fresh:  # in place: a million-row import should not hold two copies of every row
        row.update(extra)
    for start in range(0, len(fresh), INSERT_CHUNK):
        session.execute(insert(Base.metadata.tables[NumberEntry.__tablename__]), fresh[start : start + INSERT_CHUNK])
        if progress is not None:
            progress("writing", min(start + INSERT_CHUNK, len(fresh)), len(fresh))
    result = ImportResult(rows=rows, created=len(fresh), skipped_existing=len(parsed) - len(fresh))
    record_change(
        session,
        actor=actor,
        action="entry.import",
        target=f"lists:{','.join(sorted(lists))}",
        after={"rows": rows, "created": result.created, "skipped_existing": result.skipped_existing},
    )
    if fresh:
        bump_version(session)
    return result


def _export_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def export_entries(
    session: Session, *, list_name: ListName | None, status: EntryStatus | None, progress: Progress | None = None
) -> Iterator[str]:
    """CSV text in chunks of lines (streamed: a million entries never sit in memory as one string)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    columns = [getattr(NumberEntry, name) for name in EXPORT_COLUMNS]
    stmt = select(*columns).order_by(NumberEntry.id)
    if list_name is not None:
        stmt = stmt.where(NumberEntry.list == list_name)
    if status is not None:
        stmt = stmt.where(NumberEntry.status == status)
    total = 0
    if progress is not None:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    index = 0
    for index, row in enumerate(session.execute(stmt.execution_options(yield_per=10_000)), start=1):
        writer.writerow(_export_cell(value) for value in row)
        if index % 5000 == 0:
            if progress is not None:
                progress("exporting", index, total)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if progress is not None:
        progress("exporting", index, max(total, index))
    yield buffer.getvalue()
