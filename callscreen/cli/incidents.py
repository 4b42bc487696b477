"""`callscreen incidents add|list`: the agents' incident log (calls they could not identify), from the shell."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

from callscreen.cli.report import _moment
from callscreen.records_setup import cli_actor, records_session
from callscreen.settings import Settings
from records import InvalidInputError
from records.base import utcnow
from records.incidents import log_incident, query_incidents

EXIT_FAILED = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("incidents", help="the agents' incident log: add, list")
    actions = parser.add_subparsers(dest="incidents_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="log an incident")
    add.add_argument("--at", required=True, help="when (local time of the centre, e.g. 2026-11-30T22:15)")
    add.add_argument("--note", default="")
    add.add_argument("--call-id", help="the screened call, when known")
    add.add_argument("--agent", help="who took the call (default: the CLI user)")
    listing = actions.add_parser("list", help="incidents, newest first")
    listing.add_argument("--since", default="30d", help="a date or '<N>d' (default 30d)")
    listing.add_argument("--limit", type=int, default=100)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.screening.timezone)
    try:
        with records_session(settings) as session:
            if args.incidents_action == "add":
                row = log_incident(session, occurred_at=_moment(args.at, zone), agent=args.agent or cli_actor(),
                                   note=args.note, call_id=args.call_id)  # fmt: skip
                sys.stdout.write(f"incident {row.id} logged at {row.occurred_at.astimezone(zone):%Y-%m-%d %H:%M}\n")
                return 0
            since = _moment(args.since, zone) if args.since else utcnow() - timedelta(days=30)
            rows, count = query_incidents(session, since=since, limit=args.limit)
            for row in rows:
                sys.stdout.write(f"{row.id}\t{row.occurred_at.astimezone(zone):%Y-%m-%d %H:%M}\t{row.agent}\t"
                                 f"{row.call_id or '-'}\t{row.note}\n")  # fmt: skip
            sys.stdout.write(f"# {len(rows)} of {count} incident(s)\n")
    except (argparse.ArgumentTypeError, InvalidInputError) as exc:
        sys.stderr.write(f"callscreen incidents: {exc}\n")
        return EXIT_FAILED
    return 0
