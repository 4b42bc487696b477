"""`callscreen purge`: apply the retention rules now (``records.retention``).

Clears transcripts and raw call history past ``privacy.retention_days``, replaces never-flagged callers' numbers
by their salted hash after ``privacy.unflagged_days``, deletes carrier bills after ``privacy.bill_days`` and
shadow inputs after ``privacy.shadow_days``. `callscreen serve` also runs this periodically
(``privacy.purge_interval_s``); the command is for cron and for an operator who has just shortened a period.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from callscreen.records_setup import hash_salt, open_database, privacy_rules
from callscreen.settings import Settings
from records.base import utcnow
from records.retention import purge


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("purge", help="apply the retention rules: transcripts, numbers, bills, shadow inputs")
    parser.add_argument("--retention-days", type=int, help="override privacy.retention_days (transcripts)")
    parser.add_argument("--unflagged-days", type=int, help="override privacy.unflagged_days")
    parser.add_argument("--bill-days", type=int, help="override privacy.bill_days")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    days = args.retention_days or settings.privacy.retention_days
    if days < 1:
        sys.stderr.write("callscreen purge: --retention-days must be at least 1\n")
        return 2
    overrides = {k: v for k, v in (("unflagged_days", args.unflagged_days), ("bill_days", args.bill_days)) if v}
    try:
        rules = dataclasses.replace(privacy_rules(settings), **overrides)
    except ValueError as exc:
        sys.stderr.write(f"callscreen purge: {exc}\n")
        return 2
    db = open_database(settings)
    try:
        salt = hash_salt(settings, db)
        with db.session() as session:
            result = purge(session, now=utcnow(), retention_days=days, salt=salt, rules=rules)
    finally:
        db.dispose()
    sys.stdout.write(f"purged {result.summary()} (transcripts older than {days} days)\n")
    return 0
