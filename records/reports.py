"""Harassment reports for managers: when, from where, how often, and what screening saved the agents.

A call counts as harassment when screening said so or an agent confirmed it. Hours and weekdays are in the call
center's local time zone. ``agent_seconds_saved`` estimates agent time not spent on calls screening deterred
(analysis queue, line fault, reject) at ``agent_seconds_per_call`` each — an estimate, labelled as such.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.entry_values import value_matches
from records.models import NumberEntry, ScreenedCall
from screening.interfaces import Route
from screening.numberlist import EntryStatus, ListName
from screening.verdict import Label

DETERRED_ROUTES = frozenset({Route.ANALYSIS, Route.LINE_FAULT, Route.REJECTED})
REPEAT_OFFENDER_MIN = 3
PREFIX_TAIL = 4  # a "prefix" in reports is the number without its last four digits (a line block)
DEFAULT_AGENT_SECONDS = 90
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
    agent_seconds_per_call: int = DEFAULT_AGENT_SECONDS,
    top: int = 10,
) -> Report:
    window = (ScreenedCall.started_at >= since, ScreenedCall.started_at < until)
    columns = (ScreenedCall.started_at, ScreenedCall.caller, ScreenedCall.label, ScreenedCall.confirmed_by,
               ScreenedCall.route)  # fmt: skip
    total = 0
    suspect = 0
    by_hour, by_weekday = [0] * 24, [0] * 7
    sources: Counter[str] = Counter()
    anonymous = confirmed = automatic = deterred = 0
    routes: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    days: dict[str, list[int]] = {}
    for started_at, caller, label, confirmed_by, route in session.execute(select(*columns).where(*window)):
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
        agent_seconds_saved=deterred * agent_seconds_per_call,
        by_route=dict(routes.most_common()),
        by_label=dict(labels.most_common()),
        by_day=[(d, n, h) for d, (n, h) in sorted(days.items())],
    )


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
