"""`callscreen screen`: screen a recording offline and print the verdict."""

from __future__ import annotations

import argparse

from callscreen.cli._skeleton import not_available


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("screen", help="screen a recording offline and print the verdict")
    parser.set_defaults(func=not_available)
