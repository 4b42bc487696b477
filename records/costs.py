"""What harassment costs, by month, from real call durations (no fixed per-call assumption).

For each month (in the centre's time zone) and hotline:

* **agent seconds on harassment** — calls that reached the agents (``agents``, ``agents_flagged``, ``fail_open``)
  and were later confirmed as harassment (an agent's confirmation, or a manager's review saying harassment). The
  duration is the carrier bill's when an imported bill line matches the call (same caller, start within
  ``BILL_MATCH`` of each other), since after a transfer only the carrier sees the agent's talk time; otherwise
  callscreen's own leg (``ended_at - started_at``), which ends at the transfer — a lower bound, counted apart
  (``agent_seconds_from_bills`` says how much came from bills);
* **deterrent seconds** — the time harassers spent in the deterrent (analysis queue, line-fault prompt) instead of
  with an agent: callscreen's leg of every deterred call;
* **toll-free charges** — every harassment call's minutes (each call billed per started minute, as carriers do)
  at the hotline's per-minute tariff (``costs.tariffs``, else ``costs.default_tariff``).

A call counts as harassment when a manager's review says so, else when screening said so or an agent confirmed
it; a review saying it was legitimate overrides both.
"""

from __future__ import annotations

import csv
import io
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from numbering import normalize
from records.models import BillLine, ScreenedCall
from screening.interfaces import Route
from screening.verdict import Label

AGENT_ROUTES = frozenset({Route.AGENTS, Route.AGENTS_FLAGGED, Route.FAIL_OPEN})
DETERRENT_ROUTES = frozenset({Route.ANALYSIS, Route.LINE_FAULT})
BILL_MATCH = timedelta(seconds=120)
ALL_HOTLINES = "*"
NO_HOTLINE = "-"  # calls recorded without the dialled number
CSV_COLUMNS = (
    "month", "hotline", "calls", "harassment_calls", "agent_seconds_on_harassment", "agent_seconds_from_bills",
    "deterrent_seconds", "tollfree_minutes", "tollfree_charge",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tariffs:
    """Per-minute toll-free tariffs by hotline (the dialled service number), in ``currency``."""

    per_hotline: Mapping[str, float] = field(default_factory=dict)
    default: float = 0.0
    currency: str = "CNY"

    @classmethod
    def of(cls, per_hotline: Mapping[str, float], *, default: float = 0.0, currency: str = "CNY") -> Tariffs:
        """Tariffs keyed as operators write hotlines (``4008001234``), stored normalised like the calls' hotlines."""
        return cls({normalize(k).normalized or k: v for k, v in per_hotline.items()}, default, currency)

    def rate(self, hotline: str | None) -> float:
        return self.per_hotline.get(hotline or "", self.default)


@dataclass
class CostLine:
    month: str  # "2026-11" in the centre's zone
    hotline: str  # ALL_HOTLINES for the month's total
    calls: int = 0
    harassment_calls: int = 0
    agent_seconds_on_harassment: int = 0
    agent_seconds_from_bills: int = 0
    deterrent_seconds: int = 0
    tollfree_minutes: int = 0
    tollfree_charge: float = 0.0

    def add(self, other: CostLine) -> None:
        for name in CSV_COLUMNS[2:]:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class CostReport:
    since: datetime
    until: datetime
    timezone: str
    currency: str
    lines: list[CostLine]  # per month: the total (hotline "*") first, then each hotline


def is_harassment(label: Label, confirmed_by: str | None, review_label: Label | None) -> bool:
    if review_label is not None:
        return review_label is Label.HARASSMENT
    return label is Label.HARASSMENT or confirmed_by is not None


def _seconds(started: datetime, ended: datetime | None) -> int:
    return max(0, round((ended - started).total_seconds())) if ended is not None else 0


Billed = dict[str, list[tuple[datetime, int]]]


def _billed(session: Session, callers: set[str], since: datetime, until: datetime) -> Billed:
    """Bill lines with a duration for these callers, by caller, sorted by time."""
    found: Billed = defaultdict(list)
    if not callers:
        return found
    stmt = select(BillLine.caller, BillLine.called_at, BillLine.duration_s).where(
        BillLine.caller.in_(sorted(callers)), BillLine.duration_s.is_not(None),
        BillLine.called_at >= since - BILL_MATCH, BillLine.called_at < until + BILL_MATCH,
    )  # fmt: skip
    for caller, called_at, duration in session.execute(stmt):
        if caller is not None and duration is not None:
            found[caller].append((called_at, duration))
    for lines in found.values():
        lines.sort()
    return found


def _bill_duration(lines: list[tuple[datetime, int]], started: datetime) -> int | None:
    """The duration of the bill line nearest ``started`` within BILL_MATCH, if any."""
    i = bisect_left(lines, (started - BILL_MATCH, -1))
    best: tuple[timedelta, int] | None = None
    while i < len(lines) and lines[i][0] <= started + BILL_MATCH:
        gap = abs(lines[i][0] - started)
        if best is None or gap < best[0]:
            best = (gap, lines[i][1])
        i += 1
    return None if best is None else best[1]


def build_costs(session: Session, *, since: datetime, until: datetime, zone: ZoneInfo, tariffs: Tariffs) -> CostReport:
    columns = (
        ScreenedCall.started_at, ScreenedCall.ended_at, ScreenedCall.caller, ScreenedCall.route, ScreenedCall.label,
        ScreenedCall.confirmed_by, ScreenedCall.review_label, ScreenedCall.hotline,
    )  # fmt: skip
    rows = session.execute(
        select(*columns).where(ScreenedCall.started_at >= since, ScreenedCall.started_at < until)
    ).all()
    agent_callers = {r.caller for r in rows if r.caller and r.route in AGENT_ROUTES}
    bills = _billed(session, agent_callers, since, until)
    lines: dict[tuple[str, str], CostLine] = {}
    for r in rows:
        month = r.started_at.astimezone(zone).strftime("%Y-%m")
        hotline = r.hotline or NO_HOTLINE
        line = lines.setdefault((month, hotline), CostLine(month, hotline))
        line.calls += 1
        if not is_harassment(r.label, r.confirmed_by, r.review_label):
            continue
        line.harassment_calls += 1
        leg = _seconds(r.started_at, r.ended_at)
        seconds = leg
        if r.route in AGENT_ROUTES and (r.confirmed_by is not None or r.review_label is Label.HARASSMENT):
            billed = _bill_duration(bills.get(r.caller, []), r.started_at) if r.caller else None
            seconds = billed if billed is not None else leg
            line.agent_seconds_on_harassment += seconds
            line.agent_seconds_from_bills += billed or 0
        elif r.route in DETERRENT_ROUTES:
            line.deterrent_seconds += leg
        minutes = math.ceil(seconds / 60)
        line.tollfree_minutes += minutes
        line.tollfree_charge = round(line.tollfree_charge + minutes * tariffs.rate(r.hotline), 2)
    ordered: list[CostLine] = []
    for month in sorted({m for m, _ in lines}):
        total = CostLine(month, ALL_HOTLINES)
        per_hotline = [lines[key] for key in sorted(lines) if key[0] == month]
        for line in per_hotline:
            total.add(line)
        total.tollfree_charge = round(total.tollfree_charge, 2)
        ordered += [total, *per_hotline]
    return CostReport(since=since, until=until, timezone=zone.key, currency=tariffs.currency, lines=ordered)


def costs_csv(report: CostReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow((*CSV_COLUMNS, "currency"))
    for line in report.lines:
        writer.writerow((*(getattr(line, name) for name in CSV_COLUMNS), report.currency))
    return buffer.getvalue()
