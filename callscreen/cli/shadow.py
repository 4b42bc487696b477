"""`callscreen shadow`: what a candidate change would do to the last days' calls, before it goes live.

Replays the kept screening inputs (``privacy.shadow_days``) with today's settings, model and lists and with the
candidate — ``--model DIR``, ``--lexicon DIR``, ``--lists FILE`` (CSV as for ``blocklist import``, added to
today's lists) and ``--set KEY=VALUE`` for any ``[screening]`` setting (thresholds, windows …) — and prints how
many verdicts change, in which direction, and which calls (numbers masked). ``--json`` for machines.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from callscreen.cli.report import _moment
from callscreen.records_setup import records_session
from callscreen.settings import Settings
from records.base import utcnow
from records.shadow import CandidateError, ShadowReport, Side, candidate, live_entries, live_scorer, replay

EXIT_USAGE = 2
SHOWN = 20


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("shadow", help="replay recent calls under a candidate change: which verdicts change")
    parser.add_argument("--since", default="7d", help="start: a date or '<N>d' (default 7d)")
    parser.add_argument("--until", help="end: a date (default now)")
    parser.add_argument("--model", type=Path, help="candidate content-model directory")
    parser.add_argument("--lexicon", type=Path, help="candidate lexicon directory (words and weights)")
    parser.add_argument("--lists", type=Path, help="candidate list entries (CSV), added to today's lists")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="candidate [screening] setting, e.g. harassment_threshold=0.7 (repeatable)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(func=run)


def _settings(pairs: list[str]) -> dict[str, str]:
    changes = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CandidateError(f"--set {pair!r} is not KEY=VALUE")
        changes[key.strip()] = value.strip()
    return changes


def _print(report: ShadowReport) -> None:
    out = sys.stdout
    out.write(f"replayed {report.inputs} call(s) from {report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} "
              f"UTC ({report.listened} content-screened)\n")  # fmt: skip
    out.write(f"verdicts that would change: {report.changed} ({report.stricter} stricter, {report.lenient} more "
              f"lenient)\n")  # fmt: skip
    for transition, count in report.transitions.items():
        out.write(f"  {transition}: {count}\n")
    if report.would_listen:
        out.write(f"{report.would_listen} call(s) not content-screened live would be screened (no transcript to "
                  "replay)\n")  # fmt: skip
    for change in report.calls[:SHOWN]:
        out.write(f"  {change.at:%Y-%m-%d %H:%M} {change.caller:>16} {change.before} → {change.after} "
                  f"({change.before_score:.2f} → {change.after_score:.2f}) {change.call_id}\n")  # fmt: skip
    if len(report.calls) > SHOWN:
        out.write(f"  … {report.changed - SHOWN} more (--json lists up to {len(report.calls)})\n")


def run(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.screening.timezone)
    now = utcnow()
    try:
        until = _moment(args.until, zone) if args.until else now
        since = _moment(args.since, zone)
        list_text = args.lists.read_text(encoding="utf-8-sig") if args.lists else None
        changes = _settings(args.set)
    except (argparse.ArgumentTypeError, OSError, CandidateError) as exc:
        sys.stderr.write(f"callscreen shadow: {exc}\n")
        return EXIT_USAGE
    with records_session(settings) as session:
        baseline = Side(config=settings.screening, scorer=live_scorer(settings.screening),
                        entries=live_entries(session, now))  # fmt: skip
        try:
            changed = candidate(baseline, settings=changes, lexicon_dir=args.lexicon, model_dir=args.model,
                                list_text=list_text, now=now)  # fmt: skip
        except CandidateError as exc:
            sys.stderr.write(f"callscreen shadow: {exc}\n")
            return EXIT_USAGE
        report = replay(session, since=since, until=until, baseline=baseline, candidate=changed)
    if args.json:
        sys.stdout.write(json.dumps(dataclasses.asdict(report), default=str, ensure_ascii=False, indent=2) + "\n")
    else:
        _print(report)
    return 0
