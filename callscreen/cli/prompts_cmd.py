"""`callscreen prompts import DIR|FILE --profile NAME`: a centre's own recordings become a profile's prompts.

Converts (any WAV, MP3), normalises loudness and checks durations against the conversation's timings
(:mod:`prompts.importer`), writes into the profile's ``prompts_dir`` (or ``<data_dir>/prompts/<profile>``) and
reports what was imported, refused, not recognised and still missing. A running ``serve`` picks the new files up
on SIGHUP.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from callscreen.profiles import DEFAULT_PROFILE, MIN_ANSWER_S
from callscreen.settings import Settings
from prompts.errors import PromptError
from prompts.importer import import_prompts
from prompts.names import PromptName

EXIT_FAILED = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("prompts", help="import a centre's own prompt recordings")
    actions = parser.add_subparsers(dest="prompts_action", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help="convert recordings (WAV any rate/channels, MP3) into a profile's prompts")
    imp.add_argument("source", type=Path, help="a recording (greeting.wav) or a directory of them")
    imp.add_argument("--profile", default=DEFAULT_PROFILE, help="the hotline profile they are for")
    imp.add_argument("--to", type=Path, help="target directory (default: the profile's prompts_dir)")
    parser.set_defaults(func=run)


def target_dir(settings: Settings, profile: str) -> Path:
    configured = settings.profiles.get(profile)
    if configured is not None and configured.prompts_dir is not None:
        return configured.prompts_dir
    if profile == DEFAULT_PROFILE and settings.prompts.override_dir is not None:
        return settings.prompts.override_dir
    return settings.data_dir / "prompts" / profile


def time_limits(settings: Settings, profile: str) -> dict[PromptName, float]:
    """Longest each prompt may be so the caller's answer still fits the window it opens."""
    configured = settings.profiles.get(profile)
    window = settings.screening.listen_timeout_s
    if configured is not None and configured.listen_timeout_s is not None:
        window = configured.listen_timeout_s
    return {PromptName.GREETING: window - MIN_ANSWER_S}  # the challenge window follows its question's length


def run(args: argparse.Namespace, settings: Settings) -> int:
    out = sys.stdout
    target = args.to or target_dir(settings, args.profile)
    try:
        report = import_prompts(args.source, target, time_limits(settings, args.profile))
    except PromptError as exc:
        sys.stderr.write(f"callscreen prompts: {exc}\n")
        return EXIT_FAILED
    for item in report.imported:
        out.write(f"imported  {item.name.value:16} {item.duration_s:5.1f} s  gain {item.gain_db:+5.1f} dB  "
                  f"{item.source.name} → {item.target}\n")
    for item in report.refused:
        out.write(f"REFUSED   {item.name.value:16} {item.source.name}: {item.problem}\n")
    for path in report.unknown:
        out.write(f"UNKNOWN   {path.name}: not a prompt name (expected one of "
                  f"{', '.join(n.value for n in PromptName)})\n")
    for name in report.missing:
        out.write(f"missing   {name.value:16} no recording: the packaged synthetic voice plays\n")
    if args.profile not in settings.profiles and args.profile != DEFAULT_PROFILE:
        out.write(f"note: profile {args.profile!r} is not configured; add [profiles.{args.profile}] with "
                  f"prompts_dir = \"{target}\" and its numbers\n")
    elif args.to is None and target == settings.data_dir / "prompts" / args.profile:
        out.write(f"note: set prompts_dir = \"{target}\" for profile {args.profile!r} so serve plays these\n")
    out.write("a running serve loads them on SIGHUP (systemctl reload callscreen)\n")
    return 0 if report.ok else EXIT_FAILED
