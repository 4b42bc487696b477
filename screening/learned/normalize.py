"""The one normal form of text for the learned models, used identically at training and at screening time.

Transcripts have no punctuation, spaced words and no emoji; typed corpora have all three. Both pass through
:func:`screening.text.normalize.normalize_text` (traditional → simplified, half-width, no spaces or punctuation),
then everything that is neither Han, Latin nor a digit is dropped (emoji, symbols), Arabic digits become one class
(an order number is not a word) and runs of one character are squeezed to three (哈哈哈哈哈 is 哈哈哈), so the models
cannot learn shortcuts from how a source happens to type.
"""

from __future__ import annotations

import re

from screening.text.normalize import normalize_text

_KEEP_RE = re.compile(r"[^\u3400-\u9fffa-z0-9]+")
_DIGITS_RE = re.compile(r"[0-9]+")
_RUN_RE = re.compile(r"(.)\1{3,}")


def learned_normal(text: str) -> str:
    """Simplified Han + lower-case Latin, digits as ``0``, no separators, runs squeezed to three."""
    base = _KEEP_RE.sub("", normalize_text(text))
    return _RUN_RE.sub(r"\1\1\1", _DIGITS_RE.sub("0", base))
