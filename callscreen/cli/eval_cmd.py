"""`callscreen eval`: evaluate screening on a labelled TSV of transcripts."""

from __future__ import annotations

import argparse

from callscreen.cli._skeleton import not_available


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("eval", help="evaluate screening on a labelled TSV of transcripts")
    parser.set_defaults(func=not_available)
