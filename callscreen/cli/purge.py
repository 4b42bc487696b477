"""`callscreen purge`: drop transcripts and raw call history older than the retention period.

`callscreen serve` also runs this periodically (``privacy.purge_interval_s``); the command is for cron and for
an operator who has just shortened the retention.
"""

from __future__ import annotations

import argparse
import sys

from callscreen.cli._records import records_session
from callscreen.settings import Settings
from records.base import utcnow
from records.retention import purge


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("purge", help="purge transcripts and call history past the retention period")
    parser.add_argument("--retention-days", type=int, help="override privacy.retention_days")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    days = args.retention_days or settings.privacy.retention_days
    if days < 1:
        sys.stderr.write("callscreen purge: --retention-days must be at least 1\n")
        return 2
    with records_session(settings) as session:
        result = purge(session, now=utcnow(), retention_days=days)
    sys.stdout.write(
        f"purged {result.transcripts} transcript(s) and {result.arrivals} call-history row(s) older than {days} days\n"
    )
    return 0
