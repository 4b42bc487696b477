"""ASR-like noise for training and for measuring: homophone substitutions, dropped and doubled characters, partials.

A Mandarin recogniser swaps a character for another with the same sound (small-cn's character error rate is about
23%), loses or repeats short syllables, and hands out partial hypotheses that stop mid-sentence. Training on such
variants teaches the models the pinyin features; measuring on a noised copy shows what survives. Everything is
driven by an explicit :class:`random.Random`, so a seed reproduces the same copy.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from screening.learned.features import syllable

TOP_PER_SYLLABLE = 12  # substitutes come from the commonest characters with the same sound


@dataclass(frozen=True, slots=True)
class Homophones:
    """Characters grouped by tone-less syllable, commonest first, with their counts as weights."""

    groups: dict[str, tuple[tuple[str, ...], tuple[int, ...]]]

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_count: int = 3) -> Homophones:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
        by_sound: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for ch, n in counts.items():
            if n >= min_count:
                by_sound[syllable(ch)].append((n, ch))
        groups = {}
        for sound, members in by_sound.items():
            members.sort(key=lambda m: (-m[0], m[1]))
            top = members[:TOP_PER_SYLLABLE]
            if len(top) > 1:
                groups[sound] = (tuple(ch for _, ch in top), tuple(n for n, _ in top))
        return cls(groups)

    def substitute(self, ch: str, rng: random.Random) -> str:
        group = self.groups.get(syllable(ch))
        if group is None:
            return ch
        chars, weights = group
        for _ in range(3):
            pick = rng.choices(chars, weights=weights)[0]
            if pick != ch:
                return pick
        return ch


@dataclass(frozen=True, slots=True)
class NoiseLevel:
    substitute: float = 0.12  # share of Han characters replaced by a homophone
    drop: float = 0.03
    double: float = 0.02


def asr_noise(text: str, homophones: Homophones, rng: random.Random, level: NoiseLevel = NoiseLevel()) -> str:
    """One ASR-like variant of normalised text."""
    out: list[str] = []
    for ch in text:
        roll = rng.random()
        if roll < level.drop:
            continue
        if roll < level.drop + level.double:
            out.append(ch)
        out.append(homophones.substitute(ch, rng) if rng.random() < level.substitute else ch)
    return "".join(out) or text


def partial(text: str, rng: random.Random, low: float = 0.4, high: float = 0.9) -> str:
    """A partial hypothesis: the first part of the text, as heard before the caller finished."""
    keep = max(2, round(len(text) * rng.uniform(low, high)))
    return text[:keep]
