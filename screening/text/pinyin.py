"""A pinyin view of text, for matching homophones and near-homophones of lexicon terms.

Mandarin ASR confuses characters that sound alike (煞笔/傻逼, 尼玛/你妈) and abusers pick such spellings on purpose.
Matching on tone-less pinyin catches both; the *fuzzy* level also merges the initials and finals that speakers of
many dialects do not distinguish (zh/z, ch/c, sh/s, n/l, r/l, h/f before u, in/ing, en/eng, an/ang). Fuzzy matching
widens what matches, so the lexicon decides per term how loose it may be.

Each syllable keeps its character index, so a match maps back to the characters for the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_INITIAL_MERGES = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("r", "n"))
_FINAL_MERGES = (("ing", "in"), ("eng", "en"), ("ang", "an"))
SEP = " "


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
    """One tone-less syllable per character; non-Han characters stand for themselves."""
    syllables: list[str] = lazy_pinyin(text, style=Style.NORMAL, errors=_keep)  # type: ignore[arg-type]
    return syllables


@dataclass(frozen=True, slots=True)
class PinyinText:
    """Text joined as ``" ni ge sha bi "`` (plain and fuzzy), searchable with ``str.find``.

    ``starts`` maps the offset of each syllable in the joined string to its character index.
    """

    plain: str
    fuzzy: str
    plain_starts: dict[int, int]
    fuzzy_starts: dict[int, int]

    @classmethod
    def of(cls, text: str) -> PinyinText:
        syllables = to_pinyin(text)
        if len(syllables) != len(text):  # pypinyin keeps one item per char with errors=_keep; guard anyway
            syllables = [to_pinyin(ch)[0] if ch.strip() else ch for ch in text]
        plain, plain_starts = _join(syllables)
        fuzzy, fuzzy_starts = _join([fuzzy_syllable(s) for s in syllables])
        return cls(plain, fuzzy, plain_starts, fuzzy_starts)

    def find_all(self, needle: str, *, fuzzy: bool) -> list[int]:
        """Character indexes where the syllable sequence ``needle`` (joined, with separators) starts."""
        hay, starts = (self.fuzzy, self.fuzzy_starts) if fuzzy else (self.plain, self.plain_starts)
        found: list[int] = []
        pos = hay.find(needle)
        while pos >= 0:
            found.append(starts[pos])
            pos = hay.find(needle, pos + 1)
        return found


def _join(syllables: list[str]) -> tuple[str, dict[int, int]]:
    parts: list[str] = [SEP]
    starts: dict[int, int] = {}
    offset = len(SEP) - 1  # the separator before each syllable is where a needle match begins
    for index, syllable in enumerate(syllables):
        starts[offset] = index
        parts.append(syllable + SEP)
        offset += len(syllable) + len(SEP)
    return "".join(parts), starts


def needle(syllables: list[str], *, fuzzy: bool) -> str:
    """The search string for a term's syllables, bounded by separators so ``bi`` never matches inside ``bian``."""
    seq = [fuzzy_syllable(s) for s in syllables] if fuzzy else syllables
    return SEP + SEP.join(seq) + SEP
