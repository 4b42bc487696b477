"""`callscreen model fetch|verify`: get the Mandarin Vosk model onto this machine, verified file by file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from asr.errors import ModelError
from asr.fetch import KNOWN_MODELS, fetch_model
from asr.model_files import check_model_dir
from callscreen.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("model", help="fetch or verify the Vosk model")
    actions = parser.add_subparsers(dest="model_action", metavar="ACTION", required=True)
    fetch = actions.add_parser("fetch", help="download, verify and install a Vosk Mandarin model")
    fetch.add_argument("which", nargs="?", choices=sorted(KNOWN_MODELS), default="small-cn")
    fetch.add_argument("--dest", type=Path, help="directory to install into (default: asr.model_dir)")
    fetch.add_argument("--base-url", help="where the archives are served (default: asr.model_base_url)")
    fetch.add_argument("--checksums", type=Path, help="SHA256SUMS to verify against instead of the pinned list")
    fetch.set_defaults(func=_fetch)
    verify = actions.add_parser("verify", help="check the configured model's files against their checksums")
    verify.set_defaults(func=_verify)


def _fetch(args: argparse.Namespace, settings: Settings) -> int:
    dest = args.dest or settings.asr.model_dir
    bar = tqdm(unit="B", unit_scale=True, desc=KNOWN_MODELS[args.which], file=sys.stderr, disable=None)

    def progress(done: int, total: int | None) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        result = fetch_model(
            args.which,
            dest,
            args.base_url or settings.asr.model_base_url,
            progress=progress,
            checksums_file=args.checksums,
        )
    except ModelError as exc:
        sys.stderr.write(f"callscreen model fetch: {exc}\n")
        return 1
    finally:
        bar.close()
    sys.stdout.write(f"installed {result.path} ({result.files_verified} files verified: {result.verified_by})\n")
    if settings.asr.model_path is not None and settings.asr.model_path != result.path:
        sys.stdout.write(
            f"note: VOSK_MODEL_PATH/asr.model_path points at {settings.asr.model_path}, which takes precedence\n"
        )
    return 0


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    path = settings.asr.resolved_model_path
    try:
        check = check_model_dir(path)
    except ModelError as exc:
        sys.stderr.write(f"callscreen model verify: {exc}\n")
        return 1
    sys.stdout.write(f"ok: {check.path} ({check.files_hashed} files, {check.verified_by})\n")
    return 0
