"""Normalising recogniser text so screening matches one spelling of each thing.

Vosk's Mandarin models emit words separated by spaces ("我 想 查 订单"); written Chinese has none, and lexicon
matching should not depend on where the decoder put word boundaries. So: spaces between two Han characters (or
Chinese punctuation) go; spaces between other scripts' words (Latin, Hangul) stay. Full-width Latin letters and
digits become ASCII, Chinese sentence punctuation is written in its full-width form whichever width came in, and
digits are written as the spoken Chinese digits the model itself emits (电话 138… is heard as 一三八…), so a number
read out by a caller looks the same whether a model or a transcriber wrote it. Not here: traditional→simplified
conversion and homophone handling (screening does that, with pinyin).
"""

from __future__ import annotations

import re
import unicodedata

_FULLWIDTH_PUNCT = {",": "，", ".": "。", "?": "？", "!": "！", ";": "；", ":": "："}
_SPOKEN_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff0c\uff01\uff1f\uff1a\uff1b"
_SPACE_BETWEEN_HAN = re.compile(rf"(?<=[{_HAN}])\s+(?=[{_HAN}])")
_SPACES = re.compile(r"\s+")
_HAN_CHAR = re.compile(rf"[{_HAN}]")


def _char_width(ch: str) -> str:
    """Full-width ASCII variants (U+FF01–FF5E) and the ideographic space to their ASCII forms."""
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    if code == 0x3000:
        return " "
    return ch


def canonical_transcript(text: str) -> str:
    """One canonical spelling of a recogniser's (or a reference transcript's) text.

    Keeps what a reader needs (spaces between Latin words, punctuation); not to be confused with
    :func:`screening.text.normalize_text`, the judgement's matching form (simplified, no spaces or punctuation)."""
    text = unicodedata.normalize("NFC", "".join(_char_width(ch) for ch in text))
    text = text.translate(_SPOKEN_DIGITS)
    if _HAN_CHAR.search(text):
        text = "".join(_FULLWIDTH_PUNCT.get(ch, ch) for ch in text)
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_BETWEEN_HAN.sub("", text)


def join_texts(parts: list[str]) -> str:
    """Join utterances: with a space, which :func:`canonical_transcript` then drops between Chinese characters."""
    return canonical_transcript(" ".join(p for p in parts if p))
