"""`callscreen evidence export|verify|public-key`: tamper-evident evidence packs (:mod:`records.evidence_pack`).

``export`` writes a pack about a number (optionally within ``--since``/``--until``) or about a time window (flagged
calls only) and notes the export in the audit log; ``verify`` checks a pack anyone hands back and names the first
altered, missing or reordered record (exit 1); ``public-key`` prints the node's public key for a recipient to pin.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from tqdm import tqdm

from callscreen.cli.report import _moment
from callscreen.records_setup import cli_actor, records_session
from callscreen.settings import Settings
from numbering import normalize
from records.base import utcnow
from records.errors import InvalidInputError
from records.evidence_pack import PackSubject, PackSummary, collect_records, note_export, verify, write_pack
from records.signing import key_path, load_or_create_key, load_public_key, public_pem

EXIT_USAGE = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("evidence", help="export or verify a signed, hash-chained evidence pack")
    actions = parser.add_subparsers(dest="evidence_action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write the pack for a number or a time window")
    export.add_argument("--number", help="the source number (any usual form)")
    export.add_argument("--since", help="start: a date or '<N>d'")
    export.add_argument("--until", help="end: a date (default now when --since is given)")
    export.add_argument("-o", "--output", type=Path, required=True, help="pack file to write (.jsonl)")
    export.add_argument("--no-progress", action="store_true", help="no progress bar")
    export.set_defaults(func=run_export)
    check = actions.add_parser("verify", help="check a pack: exit 0 when intact, 1 naming the first bad record")
    check.add_argument("pack", type=Path)
    check.add_argument("--public-key", type=Path, help="require this signer (PEM from `evidence public-key`)")
    check.set_defaults(func=run_verify)
    public = actions.add_parser("public-key", help="print this node's evidence-signing public key (PEM)")
    public.set_defaults(func=run_public_key)


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.screening.timezone)
    try:
        since = _moment(args.since, zone) if args.since else None
        until = _moment(args.until, zone) if args.until else (utcnow() if since is not None else None)
        number = None
        if args.number:
            number = normalize(args.number).normalized
            if number is None:
                raise InvalidInputError(f"{args.number!r} is not a valid phone number")
        subject = PackSubject(number=number, since=since, until=until)
    except (argparse.ArgumentTypeError, InvalidInputError) as exc:
        sys.stderr.write(f"callscreen evidence export: {exc}\n")
        return EXIT_USAGE
    key = load_or_create_key(key_path(settings.data_dir))
    summary = PackSummary()
    tmp = args.output.with_name(args.output.name + ".part")
    with records_session(settings) as session:
        records = tqdm(collect_records(session, subject), desc="evidence", unit=" records",
                       disable=args.no_progress or None, file=sys.stderr)  # fmt: skip
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(write_pack(records, subject=subject, key=key, node=settings.node_name,
                                     created_at=utcnow(), summary=summary))  # fmt: skip
        note_export(session, subject, summary, actor=cli_actor())
    tmp.replace(args.output)
    sys.stdout.write(f"wrote {summary.records} record(s) to {args.output} (head {summary.head[:16]}…)\n")
    return 0


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = args.pack.read_bytes().decode("utf-8", errors="replace")
        trusted = load_public_key(args.public_key.read_bytes()) if args.public_key else None
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"callscreen evidence verify: {exc}\n")
        return EXIT_USAGE
    result = verify(text.split("\n"), trusted=trusted)
    (sys.stdout if result.ok else sys.stderr).write(f"{args.pack}: {result}\n")
    return 0 if result.ok else 1


def run_public_key(args: argparse.Namespace, settings: Settings) -> int:
    sys.stdout.write(public_pem(load_or_create_key(key_path(settings.data_dir))).decode("ascii"))
    return 0
