"""`callscreen bills import|list|match`: carrier bills and matching them against the agents' incident log.

The same records functions as the API (``records.bills``): a bill is stored all lines or none, with a progress
bar for big files; ``match`` lists the numbers that called near many logged incidents, strongest first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from callscreen.cli._progress import ProgressBars
from callscreen.records_setup import cli_actor, records_session
from callscreen.settings import Settings
from records import CsvImportError, InvalidInputError, NotFoundError
from records.bills import MAX_TOLERANCE_S, import_bill, list_bills, match_incidents
from records.csv_input import decode

EXIT_FAILED = 1
MAX_SHOWN_ERRORS = 20
DEFAULT_TOLERANCE_S = 120


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("bills", help="carrier bills: import, list, match against the incident log")
    actions = parser.add_subparsers(dest="bills_action", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help="import a carrier bill CSV (time, caller[, duration])")
    imp.add_argument("file", type=Path)
    imp.add_argument("--no-progress", action="store_true")
    actions.add_parser("list", help="imported bills")
    match = actions.add_parser("match", help="numbers that called near logged incidents, strongest first")
    match.add_argument("bill_id", type=int)
    match.add_argument("--tolerance-s", type=int, default=DEFAULT_TOLERANCE_S,
                       help=f"seconds between bill line and incident (0-{MAX_TOLERANCE_S})")  # fmt: skip
    parser.set_defaults(func=run)


def _import(args: argparse.Namespace, settings: Settings) -> str:
    text = decode(args.file.read_bytes())
    with records_session(settings) as session, ProgressBars(enabled=not args.no_progress) as bars:
        bill = import_bill(session, text, filename=args.file.name, zone=ZoneInfo(settings.screening.timezone),
                           actor=cli_actor(), progress=bars)  # fmt: skip
        return f"bill {bill.id}: {bill.line_count} line(s) from {bill.first_call_at} to {bill.last_call_at}\n"


def _list(args: argparse.Namespace, settings: Settings) -> str:
    with records_session(settings) as session:
        rows = [f"{b.id}\t{b.filename}\t{b.line_count}\t{b.first_call_at}\t{b.last_call_at}\t{b.uploaded_by}\n"
                for b in list_bills(session)]  # fmt: skip
    return "".join(rows) + f"# {len(rows)} bill(s)\n"


def _match(args: argparse.Namespace, settings: Settings) -> str:
    with records_session(settings) as session:
        candidates = match_incidents(session, args.bill_id, tolerance_s=args.tolerance_s)
    lines = [f"{c.number}\t{c.incidents_matched} incident(s)\t{c.bill_calls} call(s)\t±{c.mean_offset_s:g} s\t"
             f"incidents {','.join(map(str, c.incident_ids))}\n" for c in candidates]  # fmt: skip
    return "".join(lines) + f"# {len(candidates)} candidate number(s)\n"


ACTIONS = {"import": _import, "list": _list, "match": _match}


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        sys.stdout.write(ACTIONS[args.bills_action](args, settings))
    except CsvImportError as exc:
        sys.stderr.write(f"callscreen bills: nothing imported: {exc}\n")
        for error in exc.errors[:MAX_SHOWN_ERRORS]:
            sys.stderr.write(f"  line {error.line}: {error.message}\n")
        return EXIT_FAILED
    except (InvalidInputError, NotFoundError, OSError) as exc:
        sys.stderr.write(f"callscreen bills: {exc}\n")
        return EXIT_FAILED
    return 0
