"""Features: hashed character n-grams and pinyin-syllable n-grams, with the readable n-gram kept for explanations.

Characters carry the words; tone-less pinyin syllables make a homophone (煞笔 / 傻逼, 尼玛 / 你妈) or an ASR
substitution land on the same feature as the written word. Each distinct n-gram is hashed (CRC-32, stable across
processes and machines) into ``2**bits`` buckets; the value of every present n-gram is ``1/sqrt(count)`` so that
long and short transcripts weigh alike (an L2-normalised binary vector). The same function builds the training
matrix and scores a call, so training and screening cannot drift apart.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """What the feature extractor does; stored in the model manifest and checked when a model is loaded."""

    bits: int = 18
    char_min: int = 1
    char_max: int = 4
    pinyin_min: int = 2
    pinyin_max: int = 3

    @property
    def size(self) -> int:
        return 1 << self.bits

    def as_dict(self) -> dict[str, int]:
        return {"bits": self.bits, "char_min": self.char_min, "char_max": self.char_max,
                "pinyin_min": self.pinyin_min, "pinyin_max": self.pinyin_max}  # fmt: skip


def _keep(chars: str) -> list[str]:
    """pypinyin's error hook: a non-Han run stays as it is, one item per character."""
    return list(chars)


@lru_cache(maxsize=65536)
def syllable(char: str) -> str:
    """Tone-less pinyin of one character (its most common reading); non-Han characters stand for themselves."""
    got: list[str] = lazy_pinyin(char, style=Style.NORMAL, errors=_keep)  # type: ignore[arg-type]
    return got[0] if got else char


def ngrams(text: str, config: FeatureConfig) -> list[str]:
    """Distinct readable n-grams of normalised text: ``c:傻逼`` for characters, ``p:sha bi`` for syllables."""
    grams: dict[str, None] = {}
    size = len(text)
    for n in range(config.char_min, config.char_max + 1):
        for i in range(size - n + 1):
            grams["c:" + text[i : i + n]] = None
    syllables = [syllable(ch) for ch in text]
    for n in range(config.pinyin_min, config.pinyin_max + 1):
        for i in range(size - n + 1):
            grams["p:" + " ".join(syllables[i : i + n])] = None
    return list(grams)


def bucket(gram: str, bits: int) -> int:
    return zlib.crc32(gram.encode("utf-8")) & ((1 << bits) - 1)


def hashed(text: str, config: FeatureConfig) -> tuple[list[str], list[int], float]:
    """The n-grams, their buckets and the common feature value ``1/sqrt(len)`` (0.0 for empty text)."""
    grams = ngrams(text, config)
    if not grams:
        return [], [], 0.0
    return grams, [bucket(g, config.bits) for g in grams], 1.0 / len(grams) ** 0.5
