"""`callscreen review list|approve|lift`: the queue of proposed blocks, decided from the shell as on the page.

Approve enforces an entry (optionally with a reason and an expiry); lift stops enforcing any entry — proposed or
active, e.g. on a customer's appeal — and needs a reason, kept on the entry and in the audit log.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from callscreen.records_setup import auto_entry_policy, cli_actor, records_session
from callscreen.settings import Settings
from records import ConflictError, InvalidInputError, NotFoundError
from records.base import utcnow
from records.review import decide, review_queue
from screening.numberlist import EntryStatus

EXIT_FAILED = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("review", help="proposed blocks: list, approve, lift")
    actions = parser.add_subparsers(dest="review_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the review queue, newest first")
    listing.add_argument("--limit", type=int, default=50)
    approve = actions.add_parser("approve", help="enforce a proposed entry")
    approve.add_argument("entry_id", type=int)
    approve.add_argument("--reason")
    approve.add_argument("--expires-days", type=int, help="expire the entry after N days")
    lift = actions.add_parser("lift", help="stop enforcing an entry (appeal, mistake); the reason is kept")
    lift.add_argument("entry_id", type=int)
    lift.add_argument("--reason", required=True)
    parser.set_defaults(func=run)


def _list(args: argparse.Namespace, settings: Settings) -> str:
    with records_session(settings) as session:
        items, count = review_queue(session, now=utcnow(), window=auto_entry_policy(settings).window,
                                    limit=args.limit)  # fmt: skip
        lines = [f"{i.entry.id}\t{i.entry.list.value}\t{i.entry.kind.value}\t{i.entry.value}\t"
                 f"{i.flagged_calls} flagged call(s)\t{i.entry.reason}\n" for i in items]  # fmt: skip
    return "".join(lines) + f"# {len(lines)} of {count} proposed entr{'y' if count == 1 else 'ies'}\n"


def _decide(args: argparse.Namespace, settings: Settings, status: EntryStatus) -> str:
    if status is EntryStatus.LIFTED and not args.reason.strip():
        raise InvalidInputError("lifting needs a reason (it is kept with the entry)")
    expires_days = getattr(args, "expires_days", None)
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    with records_session(settings) as session:
        entry = decide(session, args.entry_id, status, actor=cli_actor(), reason=args.reason, expires_at=expires)
        return f"{entry.id}: {entry.list.value} {entry.kind.value} {entry.value} is now {entry.status.value}\n"


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.review_action == "list":
            sys.stdout.write(_list(args, settings))
        else:
            status = EntryStatus.ACTIVE if args.review_action == "approve" else EntryStatus.LIFTED
            sys.stdout.write(_decide(args, settings, status))
    except (InvalidInputError, ConflictError, NotFoundError) as exc:
        sys.stderr.write(f"callscreen review: {exc}\n")
        return EXIT_FAILED
    return 0
