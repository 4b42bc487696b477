"""What a Vosk model directory must contain, and checking it before anyone loads it.

Vosk (Kaldi underneath) answers a broken model with a C++ abort or a vague "Failed to create a model"; checking
the files first turns that into one error naming the path and how to fix it. A directory is checked against, in
order: the ``SHA256SUMS`` that ``callscreen model fetch`` writes into it, else the pinned list shipped in
``asr/checksums/`` for a model of that directory name, else only the structure (files every Vosk model has).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from asr.errors import ModelCorruptError, ModelMissingError

SUMS_FILE = "SHA256SUMS"
FIX_HINT = "run `callscreen model fetch` or point VOSK_MODEL_PATH at a complete Vosk model directory"
REQUIRED_FILES = ("am/final.mdl", "conf/model.conf")
GRAPH_ALTERNATIVES = (("graph/HCLG.fst",), ("graph/HCLr.fst", "graph/Gr.fst"))
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """Outcome of a successful check: which path, how it was verified, how many files were hashed."""

    path: Path
    verified_by: str  # "SHA256SUMS in model dir", "pinned list <name>", "structure only"
    files_hashed: int


def parse_sums(text: str, origin: str) -> dict[str, str]:
    """Parse ``sha256sum`` output (``<hex>  <relative path>``) into {path: hex}."""
    sums: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise ModelCorruptError(f"{origin}:{lineno}: not a sha256sum line: {line!r}")
        rel = parts[1].strip().lstrip("*")
        if rel.startswith("/") or ".." in Path(rel).parts:
            raise ModelCorruptError(f"{origin}:{lineno}: unsafe path {rel!r}")
        sums[rel] = parts[0].lower()
    if not sums:
        raise ModelCorruptError(f"{origin}: no checksums in file")
    return sums


def pinned_sums(model_name: str) -> dict[str, str] | None:
    """The checksum list shipped in the package for ``model_name``, if there is one."""
    resource = resources.files("asr.checksums").joinpath(f"{model_name}.SHA256SUMS")
    if not resource.is_file():
        return None
    return parse_sums(resource.read_text(encoding="utf-8"), f"pinned {model_name}.SHA256SUMS")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_against(root: Path, sums: dict[str, str]) -> None:
    """Raise :class:`ModelCorruptError` naming the first missing or mismatching file."""
    for rel, expected in sorted(sums.items()):
        file = root / rel
        if not file.is_file():
            raise ModelCorruptError(f"Vosk model at {root} is incomplete: {rel} is missing; {FIX_HINT}")
        actual = sha256_file(file)
        if actual != expected:
            raise ModelCorruptError(
                f"Vosk model at {root} is corrupt: {rel} has SHA-256 {actual[:16]}…, expected {expected[:16]}…; "
                f"{FIX_HINT}"
            )


def check_structure(root: Path) -> None:
    if not root.exists():
        raise ModelMissingError(f"no Vosk model at {root}: the directory does not exist; {FIX_HINT}")
    if not root.is_dir():
        raise ModelMissingError(f"no Vosk model at {root}: not a directory; {FIX_HINT}")
    if not any(root.iterdir()):
        raise ModelMissingError(f"no Vosk model at {root}: the directory is empty; {FIX_HINT}")
    missing = [rel for rel in REQUIRED_FILES if not (root / rel).is_file()]
    if not any(all((root / rel).is_file() for rel in group) for group in GRAPH_ALTERNATIVES):
        missing.append("graph/HCLG.fst or graph/HCLr.fst+Gr.fst")
    if missing:
        raise ModelCorruptError(f"Vosk model at {root} is incomplete: missing {', '.join(missing)}; {FIX_HINT}")


def check_model_dir(root: Path, *, hash_files: bool = True) -> ModelCheck:
    """Check ``root`` is a usable Vosk model; raise a :mod:`asr.errors` error with a fix hint otherwise."""
    check_structure(root)
    own = root / SUMS_FILE
    if own.is_file():
        sums, by = parse_sums(own.read_text(encoding="utf-8"), str(own)), f"{SUMS_FILE} in model dir"
    else:
        pinned = pinned_sums(root.name)
        if pinned is None:
            return ModelCheck(path=root, verified_by="structure only", files_hashed=0)
        sums, by = pinned, f"pinned list {root.name}"
    if hash_files:
        verify_against(root, sums)
    return ModelCheck(path=root, verified_by=by, files_hashed=len(sums) if hash_files else 0)
