"""Subcommands whose capability has not landed yet say so and exit 2 — no fake output."""

from __future__ import annotations

import argparse
import sys

from callscreen.settings import Settings

NOT_AVAILABLE_EXIT = 2


def not_available(args: argparse.Namespace, settings: Settings) -> int:
    sys.stderr.write(f"callscreen {args.command}: not available yet\n")
    return NOT_AVAILABLE_EXIT
