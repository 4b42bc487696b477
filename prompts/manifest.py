"""The prompt manifest: one JSON file naming each prompt's spoken text, file and SHA-256.

The manifest is the single source of the texts: ``prompts.build`` renders from it and writes the checksums back;
``prompts.library`` verifies the files against it at start-up.
"""

from __future__ import annotations

import hashlib
import json
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from asr.events import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH
from prompts.errors import PromptError

PROMPTS_DIR = Path(__file__).resolve().parent
MANIFEST_PATH = PROMPTS_DIR / "manifest.json"


@dataclass(frozen=True, slots=True)
class PromptEntry:
    name: str
    text: str  # what is spoken; empty for generated tones
    file: str  # relative to the prompts directory
    sha256: str


def read_manifest(path: Path = MANIFEST_PATH) -> list[PromptEntry]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [PromptEntry(**item) for item in raw["prompts"]]
    except FileNotFoundError:
        raise PromptError(f"prompt manifest {path} is missing") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PromptError(f"prompt manifest {path} is malformed: {exc}") from exc


def write_manifest(entries: list[PromptEntry], path: Path = MANIFEST_PATH) -> None:
    body = {"prompts": [asdict(e) for e in entries]}
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_pcm16(path: Path) -> bytes:
    """The samples of an 8 kHz mono 16-bit PCM WAV; PromptError naming the file and what is wrong otherwise."""
    try:
        with wave.open(str(path), "rb") as wav:
            fmt = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
            pcm = wav.readframes(wav.getnframes())
    except FileNotFoundError:
        raise PromptError(f"{path} is missing") from None
    except (wave.Error, EOFError) as exc:
        raise PromptError(f"{path} is not a PCM WAV file: {exc}") from exc
    if fmt != (SAMPLE_RATE, CHANNELS, SAMPLE_WIDTH):
        raise PromptError(f"{path} is {fmt[0]} Hz, {fmt[1]} channel(s), {8 * fmt[2]}-bit; expected 8000 Hz mono 16-bit")
    if not pcm:
        raise PromptError(f"{path} holds no audio")
    return pcm


def write_pcm16(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)
