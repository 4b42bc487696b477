"""Importing a centre's own recordings as prompts: any WAV (or MP3) → 8 kHz mono 16-bit, loudness-normalised.

Prompts ship as synthetic speech; a centre replaces them with its own voice. A recording is matched to a prompt
by its file stem (``greeting.wav``, ``greeting.mp3`` → :class:`prompts.names.PromptName` ``greeting``). sox does
the decoding and resampling (MP3 through Debian's ``libsox-fmt-mp3``), without dither so an import is
reproducible. Loudness: recordings arrive at any level, and a quiet greeting next to a loud deterrent is bad on a
phone line — each prompt is scaled so the RMS of its *active* 20 ms frames (above a silence gate) is
``TARGET_RMS_DBFS``, limited so no sample peaks above ``PEAK_LIMIT_DBFS``. Durations are checked against the
conversation's timings (a greeting that fills the listening window leaves the caller no time to answer); what is
too long is refused, and prompts without a recording are reported as falling back to the packaged voice.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from prompts.errors import PromptError
from prompts.manifest import read_pcm16, write_pcm16
from prompts.names import PromptName

SAMPLE_RATE = 8000
FRAME = 160  # 20 ms
TARGET_RMS_DBFS = -20.0
PEAK_LIMIT_DBFS = -1.0
GATE_DBFS = -45.0  # frames quieter than this are pauses, not speech: they do not count for loudness
EXTENSIONS = (".wav", ".mp3")
FULL_SCALE = 32767.0


@dataclass(frozen=True, slots=True)
class ImportedPrompt:
    name: PromptName
    source: Path
    target: Path
    duration_s: float
    gain_db: float
    problem: str | None = None  # set: not imported (the reason)


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: list[ImportedPrompt]
    refused: list[ImportedPrompt]
    unknown: list[Path]  # files whose name is no prompt
    missing: list[PromptName]  # prompts with no recording in the target directory: the packaged voice plays

    @property
    def ok(self) -> bool:
        return not self.refused and not self.unknown


def _dbfs(value: float) -> float:
    return 20 * float(np.log10(max(value, 1e-9) / FULL_SCALE))


def decode_to_pcm16(source: Path) -> bytes:
    """Any sox-readable file (WAV of any rate/channels/width, MP3) → 8 kHz mono 16-bit little-endian PCM."""
    if shutil.which("sox") is None:
        raise PromptError("sox is not installed (Debian: sox, and libsox-fmt-mp3 for MP3)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        result = subprocess.run(
            ["sox", "-D", str(source), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
             str(out)], capture_output=True, text=True, check=False)  # fmt: skip
        if result.returncode != 0:
            hint = " (MP3 needs libsox-fmt-mp3)" if source.suffix.lower() == ".mp3" else ""
            raise PromptError(f"{source.name}: sox could not decode it{hint}: {result.stderr.strip()[:200]}")
        return read_pcm16(out)


def normalise(pcm: bytes) -> tuple[bytes, float]:
    """Scale to the target loudness of active speech, peak-limited; returns (PCM, gain in dB)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    usable = len(samples) - len(samples) % FRAME
    frames = samples[:usable].reshape(-1, FRAME) if usable else samples.reshape(1, -1)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    active = rms[rms > FULL_SCALE * 10 ** (GATE_DBFS / 20)]
    if active.size == 0:
        raise PromptError("the recording is silent")
    loudness = float(np.sqrt(np.mean(active**2)))
    gain = 10 ** ((TARGET_RMS_DBFS - _dbfs(loudness)) / 20)
    peak = float(np.max(np.abs(samples)))
    gain = min(gain, FULL_SCALE * 10 ** (PEAK_LIMIT_DBFS / 20) / max(peak, 1.0))
    scaled = np.clip(np.round(samples * gain), -32768, 32767).astype("<i2")
    return scaled.tobytes(), 20 * float(np.log10(gain))


def sources_in(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS)
    if path.is_file():
        return [path]
    raise PromptError(f"{path} does not exist")


def import_prompts(source: Path, target_dir: Path, max_seconds: Mapping[PromptName, float]) -> ImportReport:
    """Convert every recording under ``source`` into ``target_dir``; nothing too long or undecodable is written."""
    known = {name.value: name for name in PromptName}
    imported: list[ImportedPrompt] = []
    refused: list[ImportedPrompt] = []
    unknown: list[Path] = []
    target_dir.mkdir(parents=True, exist_ok=True)
    for path in sources_in(source):
        name = known.get(path.stem.lower())
        if name is None:
            unknown.append(path)
            continue
        target = target_dir / f"{name.value}.wav"
        try:
            pcm, gain_db = normalise(decode_to_pcm16(path))
        except PromptError as exc:
            refused.append(ImportedPrompt(name, path, target, 0.0, 0.0, str(exc)))
            continue
        duration = len(pcm) / (2 * SAMPLE_RATE)
        limit = max_seconds.get(name)
        if limit is not None and duration > limit:
            refused.append(ImportedPrompt(name, path, target, duration, gain_db,
                                          f"{duration:.1f} s is longer than the {limit:.1f} s the conversation allows"))
            continue
        write_pcm16(target, pcm)
        imported.append(ImportedPrompt(name, path, target, duration, gain_db))
    present = {p.stem for p in target_dir.glob("*.wav")}
    missing = [name for name in PromptName if name.value not in present]
    return ImportReport(imported, refused, unknown, missing)
