"""A pinyin view of text, for matching homophones and near-homophones of lexicon terms.

Mandarin ASR confuses characters that sound alike (煞笔/傻逼, 尼玛/你妈) and abusers pick such spellings on purpose.
Matching on tone-less pinyin catches both; the *fuzzy* level also merges the initials and finals that speakers of
many dialects do not distinguish (zh/z, ch/c, sh/s, n/l, r/l, h/f before u, in/ing, en/eng, an/ang). Fuzzy matching
widens what matches, so the lexicon decides per term how loose it may be.

Syllable i belongs to character i, so a match maps back to the characters for the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_INITIAL_MERGES = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("r", "n"))
_FINAL_MERGES = (("ing", "in"), ("eng", "en"), ("ang", "an"))


@lru_cache(maxsize=4096)
def fuzzy_syllable(syllable: str) -> str:
    """Collapse one tone-less syllable to its fuzzy class (``shi`` → ``si``, ``ling`` → ``nin``)."""
    s = syllable
    for long, short in _INITIAL_MERGES:
        if s.startswith(long):
            s = short + s[len(long) :]
            break
    if s.startswith("hu"):
        s = "f" + s[1:]  # hu/fu confusion in southern speech
    for long, short in _FINAL_MERGES:
        if s.endswith(long):
            s = s[: -len(long)] + short
            break
    return s


def _keep(chars: str) -> list[str]:
    """pypinyin's error hook: non-Han runs become one item per character (so indexes stay aligned)."""
    return list(chars)


def to_pinyin(text: str) -> list[str]:
    """One tone-less syllable per character; non-Han characters stand for themselves. 了了 is an ASR doubling of
    the particle (成了了帮凶) and reads le le, for texts and lexicon terms alike: pypinyin's phrase reading liao liao
    made it sound like 聊聊 ("let's chat"), an off-topic word."""
    syllables: list[str] = lazy_pinyin(text, style=Style.NORMAL, errors=_keep)  # type: ignore[arg-type]
    if len(syllables) != len(text):  # one item per character is what PinyinText checks for; leave it to it
        return syllables
    return ["le" if ch == "了" and "了" in text[max(0, i - 1) : i] + text[i + 1 : i + 2] else syl
            for i, (ch, syl) in enumerate(zip(text, syllables, strict=True))]  # fmt: skip


@dataclass(frozen=True, slots=True)
class PinyinText:
    """One tone-less syllable per character of a text, plain and fuzzy; index i is character i."""

    plain: tuple[str, ...]
    fuzzy: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> PinyinText:
        syllables = to_pinyin(text)
        if len(syllables) != len(text):  # pypinyin keeps one item per char with errors=_keep; guard anyway
            syllables = [to_pinyin(ch)[0] if ch.strip() else ch for ch in text]
        return cls(tuple(syllables), tuple(fuzzy_syllable(s) for s in syllables))

    def find_all(self, syllables: tuple[str, ...], *, fuzzy: bool) -> list[int]:
        """Character indexes where the syllable sequence starts (whole syllables only: ``bi`` never in ``bian``)."""
        hay = self.fuzzy if fuzzy else self.plain
        seq = tuple(fuzzy_syllable(s) for s in syllables) if fuzzy else syllables
        size = len(seq)
        return [i for i in range(len(hay) - size + 1) if hay[i] == seq[0] and hay[i : i + size] == seq]
