"""`callscreen serve`: start the SIP endpoint and the admin API."""

from __future__ import annotations

import argparse

from callscreen.cli._skeleton import not_available


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", help="start the SIP endpoint and the admin API")
    parser.set_defaults(func=not_available)
