"""Transcribing a whole recording at once — ``callscreen transcribe`` and ``callscreen screen``.

Uses the same :class:`Recognizer` as live calls (fixed internal chunking, same endpointing, same VAD word filter),
so a file gives exactly the finals a call carrying the same audio would have given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from asr.audio import read_wav_as_telephone_pcm
from asr.events import BYTES_PER_SECOND, AsrFinal, SpeechStats
from asr.model import SharedModel, load_shared_model
from asr.recognizer import DEFAULT_ENDPOINT_SILENCE_MS, Recognizer
from asr.text_norm import join_texts


@dataclass(frozen=True, slots=True)
class FileTranscript:
    text: str
    finals: tuple[AsrFinal, ...]
    stats: SpeechStats
    duration_s: float


def transcribe_pcm(
    pcm16: bytes, model: SharedModel, *, endpoint_silence_ms: int = DEFAULT_ENDPOINT_SILENCE_MS
) -> FileTranscript:
    """Transcribe 8 kHz mono 16-bit PCM already in memory."""
    recognizer = Recognizer(model, endpoint_silence_ms=endpoint_silence_ms)
    events = [*recognizer.feed(pcm16), *recognizer.flush()]
    finals = tuple(e for e in events if isinstance(e, AsrFinal))
    return FileTranscript(
        text=join_texts([f.text for f in finals]),
        finals=finals,
        stats=recognizer.stats(),
        duration_s=round(len(pcm16) / BYTES_PER_SECOND, 3),
    )


def transcribe_file(
    path: Path, model_path: Path, *, endpoint_silence_ms: int = DEFAULT_ENDPOINT_SILENCE_MS
) -> FileTranscript:
    """Any WAV → transcript. Raises :class:`asr.errors.AudioFormatError` or :class:`asr.errors.ModelError`."""
    pcm16 = read_wav_as_telephone_pcm(path)
    return transcribe_pcm(pcm16, load_shared_model(model_path), endpoint_silence_ms=endpoint_silence_ms)
