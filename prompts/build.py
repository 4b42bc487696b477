"""Render the prompt texts to 8 kHz mono 16-bit WAV and write their checksums into the manifest.

Run ``python -m prompts.build`` after editing a text in ``manifest.json``. Speech comes from espeak-ng's Mandarin
voice (``cmn``) resampled by sox, without dither so a rebuild is byte-identical; the SIT is generated with numpy.
The rendered files are committed and ship in the package: ``serve`` never needs espeak-ng. A call center with
recorded announcements drops them into the override directory instead of rebuilding.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from prompts.errors import PromptBuildError
from prompts.manifest import MANIFEST_PATH, PromptEntry, read_manifest, sha256_of, write_manifest, write_pcm16
from prompts.names import PromptName
from prompts.sit import sit_tone

VOICE = "cmn"
WORDS_PER_MINUTE = 180  # espeak-ng cmn is slow; the greeting must leave the caller most of the listening window
GENERATED = {PromptName.SIT.value: sit_tone}


def render_speech(text: str, out: Path) -> None:
    """espeak-ng → sox: 8 kHz, mono, 16-bit signed, normalised to -3 dBFS, no dither (reproducible bytes)."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise PromptBuildError(f"{tool} is not installed; it is needed only to rebuild prompts")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        _run(["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(raw), text])
        _run(
            ["sox", "-D", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out), "norm", "-3"]
        )


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PromptBuildError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")


def build(manifest_path: Path = MANIFEST_PATH, only: set[str] | None = None) -> list[PromptEntry]:
    base = manifest_path.parent
    entries = []
    for entry in read_manifest(manifest_path):
        path = base / entry.file
        if only is None or entry.name in only:
            if entry.name in GENERATED:
                write_pcm16(path, GENERATED[entry.name]())
            else:
                render_speech(entry.text, path)
        entries.append(PromptEntry(entry.name, entry.text, entry.file, sha256_of(path)))
    write_manifest(entries, manifest_path)
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m prompts.build", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="prompts to rebuild (default: all)")
    args = parser.parse_args(argv)
    try:
        entries = build(only=set(args.names) or None)
    except PromptBuildError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    for entry in entries:
        sys.stdout.write(f"{entry.name:16} {entry.sha256[:12]}  {entry.file}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
