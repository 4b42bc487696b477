"""`callscreen report`: the harassment report (as on the manager page) as CSV or JSON on stdout."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from callscreen.records_setup import records_session, tariffs
from callscreen.settings import Settings
from records.base import utcnow
from records.costs import build_costs, costs_csv
from records.reports import build_report, report_csv

DEFAULT_DAYS = 30


def _moment(text: str, zone: ZoneInfo) -> datetime:
    """``30d`` (days ago), or a date/time in the call center's zone (``2026-11-01``, ``2026-11-01T08:00``)."""
    if text.endswith("d") and text[:-1].isdigit():
        return utcnow() - timedelta(days=int(text[:-1]))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a date (2026-11-01) nor a number of days (30d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("report", help="harassment report (by hour/day, sources, prefixes, offenders)")
    parser.add_argument("--since", help=f"start: a date or '<N>d' (default {DEFAULT_DAYS}d)")
    parser.add_argument("--until", help="end: a date (default now)")
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    parser.add_argument(
        "--costs", action="store_true", help="the cost report: agent and deterrent minutes, toll-free charges by month"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.screening.timezone)
    try:
        until = _moment(args.until, zone) if args.until else utcnow()
        since = _moment(args.since, zone) if args.since else until - timedelta(days=DEFAULT_DAYS)
    except argparse.ArgumentTypeError as exc:
        sys.stderr.write(f"callscreen report: {exc}\n")
        return 2
    if since >= until:
        sys.stderr.write("callscreen report: --since must be before --until\n")
        return 2
    if args.costs:
        with records_session(settings) as session:
            costs = build_costs(session, since=since, until=until, zone=zone, tariffs=tariffs(settings))
        text = costs_csv(costs) if args.format == "csv" else json.dumps(
            dataclasses.asdict(costs), default=str, ensure_ascii=False, indent=2) + "\n"  # fmt: skip
        sys.stdout.write(text)
        return 0
    with records_session(settings) as session:
        report = build_report(
            session, since=since, until=until, zone=zone
        )
    if args.format == "csv":
        sys.stdout.write(report_csv(report))
    else:
        sys.stdout.write(json.dumps(dataclasses.asdict(report), default=str, ensure_ascii=False, indent=2) + "\n")
    return 0
