"""Find lexicon terms in normalised text: by characters, by pinyin, or by fuzzy pinyin.

Terms are indexed by their first character and by their first (plain and fuzzy) syllable, so a search costs a few
comparisons per character of text rather than one scan per term. A term is matched at the strictest level that
finds it (characters, then pinyin, then fuzzy pinyin if the term allows it). Overlaps are resolved longest-first
(草泥马 hides 泥马 inside it); each term counts once however often it occurs, so repeating a word does not multiply
its weight. A term that ends in 你 does not match before 们: 你们 addresses the company, not the agent (我操你们这个
质量… is a complaint, not 操你). Numerals never match by sound (五六 is not 物流).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources

from screening.lexicon import Category, MatchLevel, Term
from screening.text.pinyin import PinyinText, fuzzy_syllable

SECOND_PERSON = "你"
PLURAL = "们"
NUMERALS = frozenset("零一二三四五六七八九十两百千万")
APART = frozenset({Category.ADDRESS, Category.LINE})
# by sound only, and only where a misheard word raises suspicion: business words heard across a boundary do no harm
BOUNDARY_CHECKED = frozenset({Category.SEXUAL, Category.INSULT, Category.CURSE, Category.SWEAR, Category.THREAT})


@cache
def common_words() -> frozenset[str]:
    """Everyday character pairs (``screening/text/common_words.tsv``, written by ``scripts/common_words.py``)."""
    text = (resources.files("screening.text") / "common_words.tsv").read_text(encoding="utf-8")
    return frozenset(line.split("\t", 1)[0] for line in text.splitlines() if line and not line.startswith("#"))


@dataclass(frozen=True, slots=True)
class Hit:
    term: Term
    start: int
    end: int
    matched: str  # the characters in the text (煞笔 for the term 傻逼)
    via: MatchLevel


Index = dict[str, list[tuple[int, tuple[str, ...]]]]


class TermMatcher:
    """Compiled once per lexicon; :meth:`find` is pure."""

    def __init__(self, terms: tuple[Term, ...]) -> None:
        self._terms = terms
        self._by_char: dict[str, list[int]] = defaultdict(list)
        self._by_plain: Index = defaultdict(list)
        self._by_fuzzy: Index = defaultdict(list)
        for i, term in enumerate(terms):
            self._by_char[term.text[0]].append(i)
            if term.match is not MatchLevel.CHAR:
                self._by_plain[term.syllables[0]].append((i, term.syllables))
            if term.match is MatchLevel.FUZZY:
                fuzzy = tuple(fuzzy_syllable(s) for s in term.syllables)
                self._by_fuzzy[fuzzy[0]].append((i, fuzzy))

    def find(self, text: str) -> list[Hit]:
        """All hits in ``text`` (already normalised), overlaps resolved, one hit per term."""
        found: dict[int, list[tuple[int, int, MatchLevel]]] = defaultdict(list)
        for pos, ch in enumerate(text):
            for i in self._by_char.get(ch, ()):
                if text.startswith(self._terms[i].text, pos):
                    found[i].append((pos, pos + len(self._terms[i].text), MatchLevel.CHAR))
        pinyin = PinyinText.of(text)
        for level, hay, index in (
            (MatchLevel.PINYIN, pinyin.plain, self._by_plain),
            (MatchLevel.FUZZY, pinyin.fuzzy, self._by_fuzzy),
        ):
            for pos, syllable in enumerate(hay):
                for i, seq in index.get(syllable, ()):
                    end = pos + len(seq)
                    if hay[pos:end] == seq and not _numerals(text[pos:end]) and _level_open(found[i], level):
                        found[i].append((pos, end, level))
        candidates: list[Hit] = []
        for i, spans in found.items():
            term = self._terms[i]
            best = min((level for _, _, level in spans), key=_LEVEL_ORDER.index, default=None)
            for start, end, level in spans:
                if level is best and not _plural_after(text, term, end) and not _across_words(text, term, start, end,
                                                                                                level):  # fmt: skip
                    candidates.append(Hit(term, start, end, text[start:end], level))
        return _resolve(candidates)


_LEVEL_ORDER = [MatchLevel.CHAR, MatchLevel.PINYIN, MatchLevel.FUZZY]


def _level_open(spans: list[tuple[int, int, MatchLevel]], level: MatchLevel) -> bool:
    """A looser level is only searched while no stricter level found the term."""
    return all(_LEVEL_ORDER.index(found) >= _LEVEL_ORDER.index(level) for _, _, found in spans)


def _across_words(text: str, term: Term, start: int, end: int, level: MatchLevel) -> bool:
    """A match by sound whose first character ends an everyday word before it, or whose last begins one after it
    (这边太吵: 边太 ≈ 变态; 星级标准: 星级标 ≈ 心机婊) — two words heard across their boundary, not a misheard one.
    Matches by characters are what was said, and are never checked. Measured in BENCHMARKS.md (rules only, the
    ASR-noised sets)."""
    if level is MatchLevel.CHAR or term.category not in BOUNDARY_CHECKED:
        return False
    words = common_words()
    # only where the character differs from the term's: 他吗的 ends in the 的 of 他妈的 itself, so 的是 after it
    # says nothing about a boundary
    before = start > 0 and text[start] != term.text[0] and text[start - 1 : start + 1] in words
    after = text[end - 1] != term.text[-1] and text[end - 1 : end + 1] in words
    return before or after


def _numerals(matched: str) -> bool:
    return all(ch in NUMERALS for ch in matched)


def _plural_after(text: str, term: Term, end: int) -> bool:
    return term.text.endswith(SECOND_PERSON) and text[end : end + 1] == PLURAL


def _resolve(candidates: list[Hit]) -> list[Hit]:
    """Longest first; drop hits inside a kept span (address and line words are kept apart: 客服 or 喂 neither hides
    nor is hidden by the words around it); one hit per term."""
    ordered = sorted(candidates, key=lambda h: (-(h.end - h.start), h.start))
    kept: list[Hit] = []
    seen: set[tuple[str, Category]] = set()
    for hit in ordered:
        key = (hit.term.text, hit.term.category)
        if key in seen:
            continue
        apart = hit.term.category in APART
        if any(k.start <= hit.start and hit.end <= k.end and (k.term.category in APART) == apart for k in kept):
            continue
        seen.add(key)
        kept.append(hit)
    return sorted(kept, key=lambda h: h.start)
