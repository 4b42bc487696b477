"""The evidence pack for one source: everything a manager hands to the carrier or the police about a number.

Its calls (time, route, verdict, score, reasons, transcript snippet while retained, who confirmed), the list
entries naming it, the incidents logged against its calls, and the carrier-bill lines showing it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.models import BillLine, Incident, NumberEntry, ScreenedCall

MAX_CALLS = 5000
CALL_COLUMNS = ("started_at", "route", "label", "score", "reasons", "confirmed_by", "node", "call_id", "transcript")


@dataclass(frozen=True, slots=True)
class EvidencePack:
    number: str
    calls: list[ScreenedCall]
    entries: list[NumberEntry]
    incidents: list[Incident]
    bill_lines: list[BillLine]


def reason_codes(call: ScreenedCall) -> list[dict[str, Any]]:
    loaded = json.loads(call.reasons or "[]")
    return loaded if isinstance(loaded, list) else []


def collect(session: Session, number: str, *, since: datetime | None = None) -> EvidencePack:
    calls_stmt = select(ScreenedCall).where(ScreenedCall.caller == number)
    if since is not None:
        calls_stmt = calls_stmt.where(ScreenedCall.started_at >= since)
    calls = list(session.scalars(calls_stmt.order_by(ScreenedCall.started_at).limit(MAX_CALLS)))
    call_ids = {c.call_id for c in calls}
    incidents = (
        list(session.scalars(select(Incident).where(Incident.call_id.in_(call_ids)).order_by(Incident.occurred_at)))
        if call_ids
        else []
    )
    entries = list(session.scalars(select(NumberEntry).where(NumberEntry.value == number)))
    bill_lines = list(
        session.scalars(select(BillLine).where(BillLine.caller == number).order_by(BillLine.called_at).limit(MAX_CALLS))
    )
    return EvidencePack(number=number, calls=calls, entries=entries, incidents=incidents, bill_lines=bill_lines)


def calls_csv(pack: EvidencePack) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("number", *CALL_COLUMNS))
    for call in pack.calls:
        reasons = "; ".join(f"{r.get('code')}: {r.get('detail')}" for r in reason_codes(call))
        writer.writerow((
            pack.number, call.started_at.isoformat(), call.route.value, call.label.value, f"{call.score:.2f}",
            reasons, call.confirmed_by or "", call.node, call.call_id, call.transcript or "",
        ))  # fmt: skip
    return buffer.getvalue()
