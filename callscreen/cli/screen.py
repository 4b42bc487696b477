"""`callscreen screen`: transcribe a recording and screen it offline, as if it were one call's listening window.

Needs a Vosk model (``asr.model_path`` / ``VOSK_MODEL_PATH``, or ``callscreen model fetch``); without one it says so
and exits 1. Prints the verdict, score, reasons with evidence, and the transcript (or one JSON object).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from asr.errors import AsrError, ModelError
from asr.offline import transcribe_file
from callscreen.settings import Settings
from numbering import normalize
from screening.engine import ScreeningEngine
from screening.errors import LexiconError
from screening.learned.model import ModelError as LearnedModelError
from screening.learned.model import load_scorer
from screening.verdict import Verdict

EXIT_FAILED = 1
EXIT_USAGE = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("screen", help="screen a recording offline and print the verdict")
    parser.add_argument("file", type=Path, help="a WAV recording of the caller")
    parser.add_argument("--caller", help="caller number as signalled (e.g. 13812345678, anonymous)")
    parser.add_argument("--at", help="call time, ISO 8601 with offset (2026-11-23T12:05:00+08:00)")
    parser.add_argument("--model", type=Path, metavar="DIR",
                        help="learned model directory (default: screening.model_dir, else the shipped model)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def _parse_at(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"--at {text!r} needs a time zone offset (e.g. +08:00)")
    return moment


def _human(verdict: Verdict, transcript: str) -> str:
    lines = [f"verdict {verdict.label.value}  score {verdict.score:.2f}"]
    for reason in verdict.reasons:
        evidence = f"  [{', '.join(reason.evidence)}]" if reason.evidence else ""
        lines.append(f"  {reason.weight:+.2f}  {reason.code}: {reason.detail}{evidence}")
    lines.append(f"transcript: {transcript}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        at = _parse_at(args.at)
    except ValueError as exc:
        sys.stderr.write(f"callscreen screen: {exc}\n")
        return EXIT_USAGE
    model_path = settings.asr.resolved_model_path
    if not model_path.is_dir():
        sys.stderr.write(
            f"callscreen screen: no ASR model at {model_path}; screening a recording needs one — run "
            "`callscreen model fetch` or set asr.model_path / VOSK_MODEL_PATH\n"
        )
        return EXIT_FAILED
    try:
        engine = ScreeningEngine.offline(settings.screening, load_scorer(settings.screening, args.model))
        result = transcribe_file(args.file, model_path, endpoint_silence_ms=settings.asr.endpoint_silence_ms)
    except (ModelError, AsrError, LexiconError, LearnedModelError) as exc:
        sys.stderr.write(f"callscreen screen: {exc}\n")
        return EXIT_FAILED
    caller = normalize(args.caller) if args.caller is not None else None
    verdict = engine.screen_transcript(result.text, caller, at, stats=result.stats)
    if args.json:
        document = {
            "file": str(args.file),
            "verdict": verdict.label.value,
            "score": verdict.score,
            "summary": verdict.summary(),
            "reasons": [asdict(r) | {"kind": r.kind.value} for r in verdict.reasons],
            "transcript": result.text,
            "duration_s": result.duration_s,
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_human(verdict, result.text))
    return 0
