"""`callscreen purge`: purge transcripts past the retention period."""

from __future__ import annotations

import argparse

from callscreen.cli._skeleton import not_available


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("purge", help="purge transcripts past the retention period")
    parser.set_defaults(func=not_available)
