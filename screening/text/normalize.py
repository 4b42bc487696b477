"""One normal form for transcript text before any matching.

ASR output, typed test data and per-deployment lexicons all pass through here, so that a lexicon entry written in
simplified characters matches traditional input, full-width Latin letters (``ＳＢ``) match ``sb``, and
punctuation or spaces an ASR model inserts between characters do not break a match. What is *not* here:
homophones (see :mod:`screening.text.pinyin`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_DROP_RE = re.compile(r"[\s\u3000,.!?;:'\"，。！？；：、“”‘’…—\-~～·()（）\[\]【】<>《》]+")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize_text(text: str) -> str:
    """Simplified characters, half-width, lower-case Latin, no spaces or punctuation."""
    half = unicodedata.normalize("NFKC", text)  # full-width letters and digits → ASCII
    simplified: str = _t2s().convert(half)
    return _DROP_RE.sub("", simplified.lower())
