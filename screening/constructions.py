"""Constructions: sentence patterns that carry intent whatever words fill them.

A word list only knows the words it lists; abusers and customers keep finding new ones. Some intent lives in the
shape of a sentence instead: 你 + a question about the agent's body, age or love life; 你 + 这个/个 + a derogatory
affix (你个臭…, 你这个死…); a verb + 死你 (掐死你, 撞死你); 找到/查到 + 你; 我买的… + something broken. Such shapes are
written once as regular expressions over normalised text (simplified characters, no spaces or punctuation), in a
data file like the word lists (``constructions.pat``: ``name category weight regex``), so a deployment can tune or
extend them. Macros keep the patterns readable: ``{YOU}`` is a singular 你 (not 你们: that addresses the company),
``{NUM}`` a numeral.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from screening.errors import LexiconError

MACROS = {
    "{YOU}": "(?:你(?!们))",
    "{NUM}": "[零一二三四五六七八九十两几好多半百千0-9]",
}


@dataclass(frozen=True, slots=True)
class Construction:
    name: str
    category: str  # a screening.lexicon.Category value (validated by the lexicon loader)
    weight: float
    pattern: re.Pattern[str]
    source: str  # "file:line"

    @property
    def looks_ahead(self) -> bool:
        """Does the pattern depend on what follows it (你这个死… but not 你这个死机)?"""
        return "(?!" in self.pattern.pattern


@dataclass(frozen=True, slots=True)
class ConstructionHit:
    construction: Construction
    start: int
    end: int
    matched: str


def expand(raw: str) -> str:
    for macro, body in MACROS.items():
        raw = raw.replace(macro, body)
    return raw


def compile_pattern(raw: str, where: str) -> re.Pattern[str]:
    """Compile one pattern with its macros expanded; a bad pattern is a LexiconError naming file and line."""
    try:
        return re.compile(expand(raw))
    except re.error as exc:
        raise LexiconError(f"{where}: pattern {raw!r} is not a valid regular expression ({exc})") from None


def find_constructions(
    constructions: tuple[Construction, ...], text: str, *, open_end: bool = False
) -> list[ConstructionHit]:
    """The first match of every construction in ``text`` (each counts once, like a word).

    ``open_end`` says the text ends in a partial ASR hypothesis that may still grow: a pattern that looks ahead
    cannot be judged at the very end yet (a partial 你这个死 may become 你这个死机), so such a match waits.
    """
    hits: list[ConstructionHit] = []
    for construction in constructions:
        for match in construction.pattern.finditer(text):
            if match.end() == match.start() or (open_end and match.end() == len(text) and construction.looks_ahead):
                continue
            hits.append(ConstructionHit(construction, match.start(), match.end(), match.group(0)))
            break
    return hits
