"""`callscreen blocklist`: add, list, remove, import and export number-list entries.

Works on every list (``--list block|allow|payphone|switchboard``; block by default) and writes the same audit
entries as the API, with the actor ``cli:<user>``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from callscreen.cli._progress import ProgressBars
from callscreen.records_setup import cli_actor, records_session
from callscreen.settings import Settings
from records import ConflictError, CsvImportError, InvalidInputError, NotFoundError
from records.base import utcnow
from records.csv_input import decode
from records.entry_values import normalize_value
from records.list_csv import export_entries, import_entries
from records.lists import EntryDraft, EntryFilter, create_entry, delete_entry, find_entry, query_entries
from screening.numberlist import EntryStatus, ListName, MatchKind

EXIT_FAILED = 1
MAX_SHOWN_ERRORS = 20


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("blocklist", help="manage number lists (block, allow, payphone, switchboard)")
    parser.add_argument("--list", dest="list_name", choices=[n.value for n in ListName], default=ListName.BLOCK.value)
    parser.add_argument("--no-progress", action="store_true", help="no progress bars for import/export")
    actions = parser.add_subparsers(dest="blocklist_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add an entry (active unless --proposed)")
    add.add_argument("value", help="number, prefix, FIRST-LAST range or regular expression")
    add.add_argument("--kind", choices=[k.value for k in MatchKind], default=MatchKind.EXACT.value)
    add.add_argument("--reason", default="")
    add.add_argument("--expires-days", type=int, help="expire the entry after N days")
    add.add_argument("--proposed", action="store_true", help="add for review instead of enforcing at once")
    listing = actions.add_parser("list", help="list entries")
    listing.add_argument("--status", choices=[s.value for s in EntryStatus])
    listing.add_argument("--limit", type=int, default=100)
    remove = actions.add_parser("remove", help="delete an entry by value (or --id)")
    remove.add_argument("value", nargs="?")
    remove.add_argument("--kind", choices=[k.value for k in MatchKind], default=MatchKind.EXACT.value)
    remove.add_argument("--id", type=int, dest="entry_id")
    imp = actions.add_parser("import", help="import a CSV file (all rows or none)")
    imp.add_argument("file", type=Path)
    exp = actions.add_parser("export", help="export as CSV (stdout or FILE)")
    exp.add_argument("file", type=Path, nargs="?")
    exp.add_argument("--status", choices=[s.value for s in EntryStatus])
    parser.set_defaults(func=run)


def _add(args: argparse.Namespace, list_name: ListName, settings: Settings) -> str:
    with records_session(settings) as session:
        expires = utcnow() + timedelta(days=args.expires_days) if args.expires_days else None
        status = EntryStatus.PROPOSED if args.proposed else EntryStatus.ACTIVE
        draft = EntryDraft(
            list_name, MatchKind(args.kind), args.value, reason=args.reason, status=status, expires_at=expires
        )
        entry = create_entry(session, draft, actor=cli_actor())
        return f"added {entry.id}: {entry.list.value} {entry.kind.value} {entry.value} ({entry.status.value})\n"


def _list(args: argparse.Namespace, list_name: ListName, settings: Settings) -> str:
    with records_session(settings) as session:
        flt = EntryFilter(list=list_name, status=EntryStatus(args.status) if args.status else None)
        rows, count = query_entries(session, flt, limit=args.limit)
        lines = [
            f"{e.id}\t{e.kind.value}\t{e.value}\t{e.status.value}\t{e.source.value}\t"
            f"{e.expires_at.date() if e.expires_at else '-'}\t{e.reason}\n"
            for e in rows
        ]
        return "".join(lines) + f"# {len(rows)} of {count} {list_name.value} entries\n"


def _remove(args: argparse.Namespace, list_name: ListName, settings: Settings) -> str:
    if args.entry_id is None and not args.value:
        raise InvalidInputError("give a value or --id")
    with records_session(settings) as session:
        entry_id = args.entry_id
        if entry_id is None:
            kind = MatchKind(args.kind)
            entry = find_entry(session, list_name, kind, normalize_value(kind, args.value))
            if entry is None:
                raise NotFoundError(f"no {kind.value} entry {args.value!r} on the {list_name.value} list")
            entry_id = entry.id
        delete_entry(session, entry_id, actor=cli_actor())
        return f"removed {entry_id}\n"


def _import(args: argparse.Namespace, list_name: ListName, settings: Settings) -> str:
    text = decode(args.file.read_bytes())
    with records_session(settings) as session, ProgressBars(enabled=not args.no_progress) as bars:
        zone = ZoneInfo(settings.screening.timezone)
        result = import_entries(session, text, default_list=list_name, zone=zone, actor=cli_actor(), progress=bars)
        return f"{result.rows} rows: {result.created} added, {result.skipped_existing} already present\n"


def _export(args: argparse.Namespace, list_name: ListName, settings: Settings) -> str:
    with records_session(settings) as session, ProgressBars(enabled=not args.no_progress) as bars:
        status = EntryStatus(args.status) if args.status else None
        chunks = export_entries(session, list_name=list_name, status=status, progress=bars)
        if args.file is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
            return ""
        with args.file.open("w", encoding="utf-8", newline="") as fh:
            fh.writelines(chunks)
        return f"exported to {args.file}\n"


ACTIONS = {"add": _add, "list": _list, "remove": _remove, "import": _import, "export": _export}


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        sys.stdout.write(ACTIONS[args.blocklist_action](args, ListName(args.list_name), settings))
    except CsvImportError as exc:
        sys.stderr.write(f"callscreen blocklist: nothing imported: {exc}\n")
        for error in exc.errors[:MAX_SHOWN_ERRORS]:
            sys.stderr.write(f"  line {error.line}: {error.message}\n")
        return EXIT_FAILED
    except (InvalidInputError, ConflictError, NotFoundError, OSError) as exc:
        sys.stderr.write(f"callscreen blocklist: {exc}\n")
        return EXIT_FAILED
    return 0
