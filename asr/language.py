"""Does a Vosk model speak Mandarin? Read its vocabulary and count the Chinese words.

The screening core judges Chinese words. A Korean, English or Japanese model still transcribes something, and
every caller then looks like someone with nothing to say about the business (``content.no_business``): real
customers would be sent to the deterrent. The model's language is not written down anywhere reliable (READMEs
vary, ``conf/`` says nothing), but its vocabulary is: ``graph/words.txt`` in the big models, or the output
symbol table embedded in ``graph/Gr.fst`` / ``graph/HCLG.fst`` (OpenFst binary format) in the small ones.

The symbols are read (they sit in the file's header, before the graph itself) and :data:`SAMPLE_WORDS` evenly
spaced ones are judged — evenly spaced because vocabularies are sorted and start with Latin words in every
language; it costs about a second even for a 200 MB graph. A model is Mandarin when most sampled words are
written in Chinese characters and almost none in Japanese kana; a model with no readable vocabulary is reported
as "unknown", never as Mandarin.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SAMPLE_WORDS = 5000
MIN_WORDS = 50  # fewer readable words than this: cannot tell
CHINESE_SHARE = 0.5  # at least this share of the sampled words are Chinese …
KANA_SHARE = 0.05  # … and at most this share contain kana (Japanese writes Chinese characters too)
FST_MAGIC = 0x7EB2FDD6
SYMBOLS_MAGIC = 0x7EB2FB74
FLAG_ISYMBOLS, FLAG_OSYMBOLS = 1, 2
MAX_SYMBOL_BYTES = 1024
OFF_TOPIC_WARNING = "every caller would look off-topic and real customers could be sent to the deterrent"


class Language(enum.StrEnum):
    MANDARIN = "mandarin"
    OTHER = "other"
    UNKNOWN = "unknown"  # no readable vocabulary


@dataclass(frozen=True, slots=True)
class LanguageCheck:
    language: Language
    source: str  # the file the vocabulary was read from, or "" when none was found
    words: int  # words sampled
    chinese: int  # of which written in Chinese characters only
    examples: tuple[str, ...]  # a few sampled words, for the message

    @property
    def mandarin(self) -> bool:
        return self.language is Language.MANDARIN

    def message(self, model: Path) -> str:
        """One line for a log, a doctor row or a health detail."""
        if self.language is Language.UNKNOWN:
            return (f"cannot tell the language of {model}: no readable vocabulary (graph/words.txt, graph/Gr.fst, "
                    f"graph/HCLG.fst) — make sure it is a Mandarin model, else {OFF_TOPIC_WARNING}")  # fmt: skip
        share = f"{self.chinese} of {self.words} sampled words are Chinese"
        if self.mandarin:
            return f"Mandarin model ({share}, from {self.source})"
        sample = ", ".join(self.examples)
        return (f"{model} is not a Mandarin model ({share}; e.g. {sample}): {OFF_TOPIC_WARNING} — "
                "use a Mandarin Vosk model (vosk-model-cn / vosk-model-small-cn)")  # fmt: skip


def _is_han(ch: str) -> bool:
    code = ord(ch)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def _is_kana(ch: str) -> bool:
    return 0x3040 <= ord(ch) <= 0x30FF


def _real_word(word: str) -> bool:
    """Leave out the graph's markers (<eps>, !SIL, #0, <unk>, [noise])."""
    return bool(word) and word[0] not in "<!#[" and not word.startswith("SIL")


def _words_txt(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if parts:
                yield parts[0]


def _read(fh: BinaryIO, size: int) -> bytes:
    data = fh.read(size)
    if len(data) != size:
        raise ValueError("truncated")
    return data


def _string(fh: BinaryIO) -> bytes:
    (length,) = struct.unpack("<i", _read(fh, 4))
    if not 0 <= length <= MAX_SYMBOL_BYTES:
        raise ValueError(f"implausible string length {length}")
    return _read(fh, length)


def _skip_symbols(fh: BinaryIO) -> None:
    (magic,) = struct.unpack("<i", _read(fh, 4))
    if magic != SYMBOLS_MAGIC:
        raise ValueError("not a symbol table")
    _string(fh)
    _available, size = struct.unpack("<qq", _read(fh, 16))
    for _ in range(size):
        _string(fh)
        _read(fh, 8)


def _fst_output_symbols(path: Path) -> Iterator[str]:
    """The output symbols (words) embedded in an OpenFst binary file's header, if it carries them."""
    with path.open("rb") as fh:
        try:
            (magic,) = struct.unpack("<i", _read(fh, 4))
            if magic != FST_MAGIC:
                return
            _string(fh)  # fst type
            _string(fh)  # arc type
            _version, flags = struct.unpack("<ii", _read(fh, 8))
            _read(fh, 8 + 8 + 8 + 8)  # properties, start, states, arcs
            if not flags & FLAG_OSYMBOLS:
                return
            if flags & FLAG_ISYMBOLS:
                _skip_symbols(fh)
            (magic,) = struct.unpack("<i", _read(fh, 4))
            if magic != SYMBOLS_MAGIC:
                return
            _string(fh)
            _available, size = struct.unpack("<qq", _read(fh, 16))
            for _ in range(size):
                symbol = _string(fh)
                _read(fh, 8)
                yield symbol.decode("utf-8", errors="replace")
        except (ValueError, struct.error, OSError):
            return


def _vocabulary(model: Path) -> tuple[str, Iterator[str]] | None:
    for name in ("graph/words.txt", "words.txt"):
        if (model / name).is_file():
            return name, _words_txt(model / name)
    for name in ("graph/Gr.fst", "graph/HCLG.fst", "HCLG.fst"):
        if (model / name).is_file():
            symbols = _fst_output_symbols(model / name)
            first = next(symbols, None)
            if first is not None:
                return name, _chain(first, symbols)
    return None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def check_language(model: Path) -> LanguageCheck:
    """Sample the vocabulary of the Vosk model at ``model`` and say whether it is Mandarin."""
    found = _vocabulary(model)
    if found is None:
        return LanguageCheck(Language.UNKNOWN, "", 0, 0, ())
    source, words = found
    everything = [word for word in words if _real_word(word)]
    sampled = everything[:: max(1, len(everything) // SAMPLE_WORDS)]
    if len(sampled) < MIN_WORDS:
        return LanguageCheck(Language.UNKNOWN, source, len(sampled), 0, tuple(sampled[:5]))
    chinese = sum(1 for w in sampled if all(_is_han(ch) for ch in w))
    kana = sum(1 for w in sampled if any(_is_kana(ch) for ch in w))
    mandarin = chinese >= CHINESE_SHARE * len(sampled) and kana <= KANA_SHARE * len(sampled)
    step = max(1, len(sampled) // 5)
    examples = tuple(sampled[::step][:5])
    return LanguageCheck(Language.MANDARIN if mandarin else Language.OTHER, source, len(sampled), chinese, examples)
