"""The prompts, verified once at start-up and held in memory as 16-bit PCM.

``PromptLibrary.load`` checks every prompt the enum names: listed in the manifest, present, 8 kHz mono 16-bit,
and — for the shipped files — matching the manifest's SHA-256 (a truncated or swapped file is caught before the
first call). Operators may drop recorded files of the same names into an override directory; those are checked
for format only (their checksum is, by design, not ours). Every problem is listed in one ``PromptError``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from asr.events import BYTES_PER_SECOND
from prompts.errors import PromptError
from prompts.manifest import MANIFEST_PATH, PromptEntry, read_manifest, read_pcm16, sha256_of
from prompts.names import PromptName

log = logging.getLogger(__name__)


class PromptLibrary:
    def __init__(self, audio: Mapping[PromptName, bytes], sources: Mapping[PromptName, Path]) -> None:
        self._audio = MappingProxyType(dict(audio))
        self.sources = MappingProxyType(dict(sources))

    @classmethod
    def load(cls, override_dir: Path | None = None, *, manifest_path: Path = MANIFEST_PATH) -> PromptLibrary:
        if override_dir is not None and not override_dir.is_dir():
            raise PromptError(f"prompt override directory {override_dir} does not exist")
        entries = {e.name: e for e in read_manifest(manifest_path)}
        audio: dict[PromptName, bytes] = {}
        sources: dict[PromptName, Path] = {}
        problems: list[str] = []
        for name in PromptName:
            entry = entries.get(name.value)
            if entry is None:
                problems.append(f"prompt '{name}' is not in the manifest {manifest_path}")
                continue
            try:
                sources[name], audio[name] = _load_one(entry, manifest_path.parent, override_dir)
            except PromptError as exc:
                problems.append(f"prompt '{name}': {exc}")
        if problems:
            raise PromptError("; ".join(problems))
        overridden = [n.value for n, p in sources.items() if override_dir is not None and p.parent == override_dir]
        log.info("prompts loaded: %d (%s overridden)", len(audio), ", ".join(overridden) or "none")
        return cls(audio, sources)

    def pcm16(self, name: PromptName) -> bytes:
        """8 kHz mono 16-bit signed little-endian samples, ready for ``MediaSession.play``."""
        return self._audio[name]

    def duration_s(self, name: PromptName) -> float:
        return len(self._audio[name]) / BYTES_PER_SECOND


def _load_one(entry: PromptEntry, base: Path, override_dir: Path | None) -> tuple[Path, bytes]:
    if override_dir is not None and (override_dir / entry.file).is_file():
        path = override_dir / entry.file
        return path, read_pcm16(path)
    path = base / entry.file
    pcm = read_pcm16(path)
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise PromptError(f"{path} has SHA-256 {actual[:12]}…, the manifest says {entry.sha256[:12]}…")
    return path, pcm
