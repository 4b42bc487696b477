"""Reading uploaded CSV files: encoding, header aliases (English and Chinese), local times.

Carriers' itemised bills come as UTF-8 (with or without BOM) or GB18030, with Chinese headers; both are read
here so that the importers only see ``{canonical column: text}`` rows with their line numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from records.errors import InvalidInputError

TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y%m%d%H%M%S")
MAX_FIELD = 10_000


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInputError("file is neither UTF-8 nor GB18030 text")


Progress = Callable[[str, int, int], None]
"""``(stage, done, total)``: how far a long import or export is, for the CLI's progress bars (records never print)."""
PROGRESS_EVERY = 10_000


def total_rows(text: str) -> int:
    """Data rows in a CSV text, roughly (lines after the header): the total a progress bar counts towards."""
    return max(0, text.count("\n") - 1 + (0 if text.endswith("\n") else 1))


def read_rows(text: str, aliases: Mapping[str, str], required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as ``(line number, {canonical name: value})``; ``aliases`` maps lower-cased headers to names."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInputError("file is empty: expected a header row") from None
    except csv.Error as exc:
        raise InvalidInputError(f"line 1: {exc}") from None
    columns = [aliases.get(name.strip().lower()) for name in header]
    missing = required - {c for c in columns if c}
    if missing:
        raise InvalidInputError(f"header {','.join(header)!r} lacks column(s) {', '.join(sorted(missing))}")
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            values = {col: cell.strip()[:MAX_FIELD] for col, cell in zip(columns, row, strict=False) if col}
            yield reader.line_num, values
    except csv.Error as exc:
        raise InvalidInputError(f"line {reader.line_num}: {exc}") from None


def parse_time(text: str, zone: ZoneInfo) -> datetime:
    """A time as written in a bill or an import; without an offset it is local time in ``zone``."""
    value = text.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        for fmt in TIME_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise InvalidInputError(f"{value!r} is not a time (expected e.g. 2026-11-02 12:05:30)")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
