"""`callscreen transcribe`: transcribe WAV files with the configured Vosk model.

Forms: one file (prints its text, or with ``--json`` one JSON object with segments, word times and confidences);
a folder (every ``*.wav`` in it, sorted); or ``--list FILE.tsv`` with lines ``path<TAB>reference`` (reference
optional, relative paths are relative to the list), which also prints the character error rate against the
references. Batches show a progress bar on stderr and keep going past a bad file: it is reported, and the exit
code is 1 at the end. Without a model the command exits 1 naming the path and how to get one.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from asr.cer import char_errors
from asr.errors import AsrError, ModelError
from asr.model import load_shared_model
from asr.offline import FileTranscript, transcribe_file
from callscreen.settings import Settings

EXIT_FAILED = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("transcribe", help="transcribe WAV files (any rate/channels/width) with Vosk")
    parser.add_argument("target", nargs="?", type=Path, help="a WAV file, or a folder of WAV files")
    parser.add_argument("--list", dest="tsv", type=Path, help="TSV of `path<TAB>reference` lines (reference optional)")
    parser.add_argument("--json", action="store_true", help="JSON output (one object per line for batches)")
    parser.set_defaults(func=run)


def _jobs(args: argparse.Namespace) -> list[tuple[Path, str | None]]:
    if args.tsv is not None:
        base = args.tsv.parent
        jobs: list[tuple[Path, str | None]] = []
        for line in args.tsv.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            name, _, reference = line.partition("\t")
            path = Path(name.strip())
            jobs.append((path if path.is_absolute() else base / path, reference.strip() if _ else None))
        return jobs
    if args.target.is_dir():
        return [(p, None) for p in sorted(args.target.glob("*.wav"))]
    return [(args.target, None)]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _as_json(path: Path, result: FileTranscript, cer: float | None) -> str:
    stats = {k: _finite(v) if isinstance(v, float) else v for k, v in asdict(result.stats).items()}
    document: dict[str, Any] = {
        "file": str(path),
        "text": result.text,
        "duration_s": result.duration_s,
        "segments": [asdict(final) for final in result.finals],
        "stats": stats,
    }
    if cer is not None:
        document["cer"] = round(cer, 4)
    return json.dumps(document, ensure_ascii=False)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if (args.target is None) == (args.tsv is None):
        sys.stderr.write("callscreen transcribe: give either a WAV file/folder or --list FILE.tsv\n")
        return 2
    model_path = settings.asr.resolved_model_path
    try:
        load_shared_model(model_path)
        jobs = _jobs(args)
    except ModelError as exc:
        sys.stderr.write(f"callscreen transcribe: {exc}\n")
        return EXIT_FAILED
    except OSError as exc:
        sys.stderr.write(f"callscreen transcribe: cannot read {exc.filename}: {exc.strerror}\n")
        return EXIT_FAILED
    batch = args.tsv is not None or len(jobs) != 1 or (args.target is not None and args.target.is_dir())
    failed = errors = ref_chars = 0
    for path, reference in tqdm(jobs, desc="transcribe", unit="file", file=sys.stderr, disable=None if batch else True):
        try:
            result = transcribe_file(path, model_path, endpoint_silence_ms=settings.asr.endpoint_silence_ms)
        except AsrError as exc:
            failed += 1
            sys.stderr.write(f"callscreen transcribe: {exc}\n")
            continue
        cer: float | None = None
        if reference is not None:
            wrong, length = char_errors(result.text, reference)
            errors, ref_chars = errors + wrong, ref_chars + length
            cer = wrong / length if length else float(wrong > 0)
        if args.json:
            sys.stdout.write(_as_json(path, result, cer) + "\n")
        elif batch:
            shown = f"\t{cer:.3f}" if cer is not None else ""
            sys.stdout.write(f"{path}\t{result.text}{shown}\n")
        else:
            sys.stdout.write(result.text + "\n")
    if ref_chars:
        sys.stderr.write(f"CER {errors / ref_chars:.3f} ({errors} errors / {ref_chars} reference characters)\n")
    if batch:
        sys.stderr.write(f"{len(jobs) - failed} of {len(jobs)} files transcribed\n")
    return EXIT_FAILED if failed else 0
