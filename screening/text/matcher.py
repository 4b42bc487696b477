"""Find lexicon terms in normalised text: by characters, by pinyin, or by fuzzy pinyin.

Overlaps are resolved longest-first (草泥马 hides 泥马 inside it); each term counts once however often it occurs,
so repeating a word does not multiply its weight. A term that ends in 你 does not match before 们: 你们 addresses
the company, not the agent (我操你们这个质量… is a complaint, not 操你).
"""

from __future__ import annotations

from dataclasses import dataclass

from screening.lexicon import Category, MatchLevel, Term
from screening.text.pinyin import PinyinText, needle

SECOND_PERSON = "你"
NUMERALS = frozenset("零一二三四五六七八九十两百千万")  # 五六 sounds like 物流: numbers never match by sound
PLURAL = "们"


@dataclass(frozen=True, slots=True)
class Hit:
    term: Term
    start: int
    end: int
    matched: str  # the characters in the text (煞笔 for the term 傻逼)
    via: MatchLevel


class TermMatcher:
    """Compiled once per lexicon; :meth:`find` is pure and cheap (a few ``str.find`` calls per term)."""

    def __init__(self, terms: tuple[Term, ...]) -> None:
        self._terms = terms
        self._needles: dict[int, tuple[str, str]] = {
            i: (needle(list(t.syllables), fuzzy=False), needle(list(t.syllables), fuzzy=True))
            for i, t in enumerate(terms)
            if t.match is not MatchLevel.CHAR
        }

    def find(self, text: str) -> list[Hit]:
        """All hits in ``text`` (already normalised), overlaps resolved, one hit per term."""
        pinyin = PinyinText.of(text) if self._needles else None
        candidates: list[Hit] = []
        for index, term in enumerate(self._terms):
            starts = _char_starts(text, term.text)
            via = MatchLevel.CHAR
            if not starts and pinyin is not None and index in self._needles:
                plain, fuzzy = self._needles[index]
                starts = pinyin.find_all(plain, fuzzy=False)
                via = MatchLevel.PINYIN
                if not starts and term.match is MatchLevel.FUZZY:
                    starts = pinyin.find_all(fuzzy, fuzzy=True)
                    via = MatchLevel.FUZZY
            size = len(term.syllables) if via is not MatchLevel.CHAR else len(term.text)
            for start in starts:
                end = start + size
                if _plural_after(text, term, end) or (via is not MatchLevel.CHAR and _numerals(text[start:end])):
                    continue
                candidates.append(Hit(term, start, end, text[start:end], via))
        return _resolve(candidates)


def _char_starts(text: str, term: str) -> list[int]:
    found: list[int] = []
    pos = text.find(term)
    while pos >= 0:
        found.append(pos)
        pos = text.find(term, pos + 1)
    return found


def _numerals(matched: str) -> bool:
    return all(ch in NUMERALS for ch in matched)


def _plural_after(text: str, term: Term, end: int) -> bool:
    return term.text.endswith(SECOND_PERSON) and text[end : end + 1] == PLURAL


def _resolve(candidates: list[Hit]) -> list[Hit]:
    """Longest first; drop hits inside a kept span (address words are kept apart); one hit per term."""
    ordered = sorted(candidates, key=lambda h: (-(h.end - h.start), h.start))
    kept: list[Hit] = []
    seen: set[tuple[str, Category]] = set()
    for hit in ordered:
        key = (hit.term.text, hit.term.category)
        if key in seen:
            continue
        is_address = hit.term.category is Category.ADDRESS
        if any(
            k.start <= hit.start and hit.end <= k.end and (k.term.category is Category.ADDRESS) == is_address
            for k in kept
        ):
            continue
        seen.add(key)
        kept.append(hit)
    return sorted(kept, key=lambda h: h.start)
