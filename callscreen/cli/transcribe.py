"""`callscreen transcribe`: transcribe a WAV file with Vosk."""

from __future__ import annotations

import argparse

from callscreen.cli._skeleton import not_available


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("transcribe", help="transcribe a WAV file with Vosk")
    parser.set_defaults(func=not_available)
