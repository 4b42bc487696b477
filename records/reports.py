"""Harassment reports for managers: when, from where, how often, and what screening saved the agents.

A call counts as harassment when screening said so or an agent confirmed it. Hours and weekdays are in the call
center's local time zone. ``agent_seconds_saved`` is the real time harassers spent in the deterrent (analysis
queue, line fault; a reject takes none) instead of with an agent: the sum of those calls' durations
(``ended_at - started_at``). What harassment cost by month — agent minutes, toll-free charges — is
:mod:`records.costs`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from records.entry_values import value_matches
from records.models import NumberEntry, ScreenedCall
from records.policy import AutoEntryPolicy
from screening.interfaces import Route
from screening.numberlist import EntryStatus, ListName
from screening.verdict import Label

DETERRED_ROUTES = frozenset({Route.ANALYSIS, Route.LINE_FAULT, Route.REJECTED})
REPEAT_OFFENDER_MIN = 3
PREFIX_TAIL = 4  # a "prefix" in reports is the number without its last four digits (a line block)
TOTALS = (
    "total_calls", "harassment_calls", "suspect_calls", "agent_confirmed", "automatic",
    "deterred_calls", "agent_seconds_saved", "share_anonymous", "share_payphone", "share_switchboard",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Report:
    since: datetime
    until: datetime
    timezone: str
    total_calls: int = 0
    harassment_calls: int = 0
    suspect_calls: int = 0
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    by_weekday: list[int] = field(default_factory=lambda: [0] * 7)  # Monday first
    top_sources: list[tuple[str, int]] = field(default_factory=list)
    top_prefixes: list[tuple[str, int]] = field(default_factory=list)
    share_anonymous: float = 0.0
    share_payphone: float = 0.0
    share_switchboard: float = 0.0
    repeat_offenders: list[tuple[str, int]] = field(default_factory=list)
    agent_confirmed: int = 0
    automatic: int = 0
    deterred_calls: int = 0
    agent_seconds_saved: int = 0
    by_route: dict[str, int] = field(default_factory=dict)  # every call in the window, by where it went
    by_label: dict[str, int] = field(default_factory=dict)  # every call, by verdict
    by_day: list[tuple[str, int, int]] = field(default_factory=list)  # (local date, calls, harassment) per day


def _range_entries(session: Session, list_name: ListName) -> list[NumberEntry]:
    stmt = select(NumberEntry).where(NumberEntry.list == list_name, NumberEntry.status == EntryStatus.ACTIVE)
    return list(session.scalars(stmt))


def _share(numbers: Counter[str], entries: list[NumberEntry], total: int) -> float:
    if not total or not entries:
        return 0.0
    hits = sum(n for number, n in numbers.items() if any(value_matches(e.kind, e.value, number) for e in entries))
    return round(hits / total, 4)


def build_report(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    zone: ZoneInfo,
    top: int = 10,
    hotline: str | None = None,
) -> Report:
    window = (ScreenedCall.started_at >= since, ScreenedCall.started_at < until, *_on_hotline(hotline))
    columns = (ScreenedCall.started_at, ScreenedCall.caller, ScreenedCall.label, ScreenedCall.confirmed_by,
               ScreenedCall.route, ScreenedCall.ended_at)  # fmt: skip
    total = 0
    suspect = 0
    by_hour, by_weekday = [0] * 24, [0] * 7
    sources: Counter[str] = Counter()
    anonymous = confirmed = automatic = deterred = deterred_seconds = 0
    routes: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    days: dict[str, list[int]] = {}
    for started_at, caller, label, confirmed_by, route, ended_at in session.execute(select(*columns).where(*window)):
        total += 1
        suspect += label is Label.SUSPECT
        routes[route.value] += 1
        labels[label.value] += 1
        local = started_at.astimezone(zone)
        day = days.setdefault(local.date().isoformat(), [0, 0])
        day[0] += 1
        if label is not Label.HARASSMENT and confirmed_by is None:
            continue
        day[1] += 1
        by_hour[local.hour] += 1
        by_weekday[local.weekday()] += 1
        if caller is None:
            anonymous += 1
        else:
            sources[caller] += 1
        confirmed += confirmed_by is not None
        automatic += confirmed_by is None
        deterred += route in DETERRED_ROUTES
        if route in DETERRED_ROUTES and ended_at is not None:
            deterred_seconds += max(0, round((ended_at - started_at).total_seconds()))
    harassment = confirmed + automatic
    prefixes: Counter[str] = Counter()
    for number, n in sources.items():
        prefixes[number[:-PREFIX_TAIL] if len(number) > PREFIX_TAIL + 3 else number] += n
    return Report(
        since=since,
        until=until,
        timezone=zone.key,
        total_calls=total,
        harassment_calls=harassment,
        suspect_calls=suspect,
        by_hour=by_hour,
        by_weekday=by_weekday,
        top_sources=sources.most_common(top),
        top_prefixes=prefixes.most_common(top),
        share_anonymous=round(anonymous / harassment, 4) if harassment else 0.0,
        share_payphone=_share(sources, _range_entries(session, ListName.PAYPHONE), harassment),
        share_switchboard=_share(sources, _range_entries(session, ListName.SWITCHBOARD), harassment),
        repeat_offenders=[(n, c) for n, c in sources.most_common() if c >= REPEAT_OFFENDER_MIN][:top],
        agent_confirmed=confirmed,
        automatic=automatic,
        deterred_calls=deterred,
        agent_seconds_saved=deterred_seconds,
        by_route=dict(routes.most_common()),
        by_label=dict(labels.most_common()),
        by_day=[(d, n, h) for d, (n, h) in sorted(days.items())],
    )


def _on_hotline(hotline: str | None) -> tuple[ColumnElement[bool], ...]:
    """Reports for one dialled service number (profiles); None: every hotline."""
    return () if hotline is None else (ScreenedCall.hotline == hotline,)


@dataclass(frozen=True, slots=True)
class CarrierLine:
    """One source for the carrier: its harassment calls in the window and the highest ladder step it reached."""

    number: str
    offences: int
    first_at: datetime
    last_at: datetime
    step: int


def carrier_report(
    session: Session, policy: AutoEntryPolicy, *, since: datetime, until: datetime, hotline: str | None = None
) -> list[CarrierLine]:
    """Sources whose offences reached a ladder step with ``carrier_report`` — what the carrier is told about."""
    carrier_steps = {n for n in range(1, len(policy.ladder) + 1) if policy.step(n).carrier_report}
    if not carrier_steps:
        return []
    last = len(policy.ladder)
    stmt = select(ScreenedCall.caller, ScreenedCall.started_at, ScreenedCall.ladder_step).where(
        ScreenedCall.started_at >= since, ScreenedCall.started_at < until, ScreenedCall.label == Label.HARASSMENT,
        ScreenedCall.caller.is_not(None), ScreenedCall.ladder_step.is_not(None), *_on_hotline(hotline),
    ).order_by(ScreenedCall.started_at)
    lines: dict[str, CarrierLine] = {}
    reported: set[str] = set()
    for caller, at, step in session.execute(stmt):
        if caller is None or step is None:  # excluded by the query; keeps the types honest
            continue
        line = lines.get(caller)
        lines[caller] = CarrierLine(caller, (line.offences if line else 0) + 1, line.first_at if line else at, at,
                                    max(step, line.step if line else 0))
        if min(step, last) in carrier_steps:
            reported.add(caller)
    return sorted((lines[n] for n in reported), key=lambda line: (-line.offences, line.number))


def report_csv(report: Report) -> str:
    """One ``section,key,value`` row per figure — flat enough for a spreadsheet or a carrier's form."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("section", "key", "value"))
    writer.writerow(("window", "since", report.since.isoformat()))
    writer.writerow(("window", "until", report.until.isoformat()))
    writer.writerow(("window", "timezone", report.timezone))
    for name in TOTALS:
        writer.writerow(("totals", name, getattr(report, name)))
    writer.writerows(("by_hour", f"{hour:02d}", n) for hour, n in enumerate(report.by_hour))
    writer.writerows(("by_weekday", str(day), n) for day, n in enumerate(report.by_weekday))
    writer.writerows(("top_sources", number, n) for number, n in report.top_sources)
    writer.writerows(("top_prefixes", prefix, n) for prefix, n in report.top_prefixes)
    writer.writerows(("repeat_offenders", number, n) for number, n in report.repeat_offenders)
    return buffer.getvalue()
