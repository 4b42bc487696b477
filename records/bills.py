"""Carrier itemised bills (call detail records) and matching them against the agents' incident log.

For calls without caller ID the carrier's bill still has the number. A number that appears within
``tolerance`` of many logged incidents is a strong candidate: candidates are ranked by how many distinct
incidents they match, then by how close in time, then by how often they called at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from numbering import normalize
from records.base import Base
from records.csv_input import PROGRESS_EVERY, Progress, parse_time, read_rows, total_rows
from records.errors import CsvImportError, InvalidInputError, NotFoundError, RowError
from records.models import BillImport, BillLine, Incident

ALIASES = {
    "time": "time", "datetime": "time", "start": "time", "start_time": "time", "call_time": "time",
    "呼叫时间": "time", "通话时间": "time", "开始时间": "time", "起始时间": "time",
    "caller": "caller", "number": "caller", "calling": "caller", "calling_number": "caller", "from": "caller",
    "主叫号码": "caller", "主叫": "caller", "对方号码": "caller",
    "duration": "duration", "duration_s": "duration", "通话时长": "duration", "时长": "duration",
}  # fmt: skip
MAX_TOLERANCE_S = 3600
INSERT_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class Candidate:
    number: str
    incidents_matched: int
    incident_ids: tuple[int, ...]
    bill_calls: int
    mean_offset_s: float


def _parse_line(values: dict[str, str], zone: ZoneInfo) -> dict[str, object]:
    raw = values.get("caller", "")
    if not raw:
        raise InvalidInputError("caller number is empty")
    duration_text = values.get("duration", "")
    duration: int | None = None
    if duration_text:
        try:
            duration = int(float(duration_text))
        except ValueError:
            raise InvalidInputError(f"duration {duration_text!r} is not a number of seconds") from None
    return {
        "called_at": parse_time(values.get("time", ""), zone),
        "caller": normalize(raw).normalized,
        "caller_raw": raw[:64],
        "duration_s": duration,
    }


def import_bill(
    session: Session, text: str, *, filename: str, zone: ZoneInfo, actor: str, progress: Progress | None = None
) -> BillImport:
    """Store a bill, all lines or none (:class:`CsvImportError` lists every bad row)."""
    lines: list[dict[str, object]] = []
    errors: list[RowError] = []
    rows = 0
    total = total_rows(text) if progress is not None else 0
    for line_no, values in read_rows(text, ALIASES, {"time", "caller"}):
        rows += 1
        if progress is not None and rows % PROGRESS_EVERY == 0:
            progress("validating", rows, total)
        try:
            lines.append(_parse_line(values, zone))
        except InvalidInputError as exc:
            errors.append(RowError(line_no, str(exc)))
    if progress is not None:
        progress("validating", rows, rows)
    if errors:
        raise CsvImportError(errors, rows=rows)
    if not lines:
        raise InvalidInputError("bill has a header but no call lines")
    times = [line["called_at"] for line in lines]
    bill = BillImport(
        filename=filename[:255],
        uploaded_by=actor,
        line_count=len(lines),
        first_call_at=min(times),  # type: ignore[type-var]
        last_call_at=max(times),  # type: ignore[type-var]
    )
    session.add(bill)
    session.flush()
    for start in range(0, len(lines), INSERT_CHUNK):
        chunk = [{**line, "import_id": bill.id} for line in lines[start : start + INSERT_CHUNK]]
        session.execute(insert(Base.metadata.tables[BillLine.__tablename__]), chunk)
        if progress is not None:
            progress("writing", start + len(chunk), len(lines))
    return bill


def list_bills(session: Session) -> list[BillImport]:
    return list(session.scalars(select(BillImport).order_by(BillImport.id.desc())))


def match_incidents(session: Session, import_id: int, *, tolerance_s: int) -> list[Candidate]:
    if not 0 <= tolerance_s <= MAX_TOLERANCE_S:
        raise InvalidInputError(f"tolerance_s {tolerance_s} must be between 0 and {MAX_TOLERANCE_S}")
    bill = session.get(BillImport, import_id)
    if bill is None:
        raise NotFoundError(f"bill import {import_id} does not exist")
    if bill.first_call_at is None or bill.last_call_at is None:
        return []
    tolerance = timedelta(seconds=tolerance_s)
    incidents = session.scalars(
        select(Incident).where(
            Incident.occurred_at >= bill.first_call_at - tolerance,
            Incident.occurred_at <= bill.last_call_at + tolerance,
        )
    ).all()
    matched: dict[str, dict[int, float]] = defaultdict(dict)  # number → incident id → closest offset
    number_of = func.coalesce(BillLine.caller, BillLine.caller_raw)
    for incident in incidents:
        stmt = select(number_of, BillLine.called_at).where(
            BillLine.import_id == import_id,
            BillLine.called_at >= incident.occurred_at - tolerance,
            BillLine.called_at <= incident.occurred_at + tolerance,
        )
        for number, called_at in session.execute(stmt):
            offset = abs((called_at - incident.occurred_at).total_seconds())
            best = matched[number].get(incident.id)
            matched[number][incident.id] = offset if best is None else min(best, offset)
    if not matched:
        return []
    totals: dict[str, int] = {
        number: count
        for number, count in session.execute(
            select(number_of, func.count())
            .where(BillLine.import_id == import_id, number_of.in_(list(matched)))
            .group_by(number_of)
        )
    }
    candidates = [
        Candidate(
            number=number,
            incidents_matched=len(by_incident),
            incident_ids=tuple(sorted(by_incident)),
            bill_calls=int(totals.get(number, 0)),
            mean_offset_s=round(sum(by_incident.values()) / len(by_incident), 1),
        )
        for number, by_incident in matched.items()
    ]
    candidates.sort(key=lambda c: (-c.incidents_matched, c.mean_offset_s, -c.bill_calls, c.number))
    return candidates
