"""The ``callscreen`` command.

Each subcommand lives in its own module exposing ``add_parser(subparsers)``; the module sets ``func`` on its
parser to a ``run(args, settings) -> int``. Settings are loaded here, once, and passed down; a bad setting ends
the program with one clear line and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from callscreen import __version__
from callscreen.cli import (
    bills,
    blocklist,
    doctor,
    eval_cmd,
    evidence,
    incidents,
    keys,
    model,
    prompts_cmd,
    purge,
    report,
    review,
    screen,
    serve,
    shadow,
    train_cmd,
    transcribe,
    users,
)
from callscreen.logconfig import configure_logging
from callscreen.settings import SettingsError, load_settings

EXIT_USAGE = 2
COMMANDS = (serve, doctor, model, transcribe, screen, eval_cmd, train_cmd, blocklist, report, keys, users, purge,
            evidence, shadow, prompts_cmd, bills, incidents, review)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callscreen",
        description="Harassment-call screening for call centers: SIP front door, offline ASR, verdicts, records.",
    )
    parser.add_argument("--config", type=Path, help="TOML settings file (default: $CALLSCREEN_CONFIG)")
    parser.add_argument("--log-level", help="override log.level (DEBUG, INFO, WARNING, ERROR)")
    parser.add_argument("--log-json", action="store_true", help="one JSON object per log line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    version_parser = sub.add_parser("version", help="print the version")
    version_parser.set_defaults(func=None)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "version":
        sys.stdout.write(f"callscreen {__version__}\n")
        return 0
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        sys.stderr.write(f"callscreen: {exc}\n")
        return EXIT_USAGE
    configure_logging(
        args.log_level or settings.log.level,
        json_lines=args.log_json or settings.log.json_lines,
        mask_numbers=settings.log.mask_numbers,
    )
    try:
        code: int = args.func(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception:
        logging.getLogger("callscreen").exception("command %s failed", args.command)
        return 1
    return code


__all__ = ["build_parser", "main"]
