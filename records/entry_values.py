"""Validation and normal form of number-list values, shared by the API, CSV import, the CLI and ``lookup``.

Values are stored in the form the matching engine expects (``screening.interfaces.MatchKind``): exact numbers
and range bounds normalised to E.164, prefixes as leading parts of E.164 numbers. A prefix may be typed in the
national form ("0755123", "138") and is converted; short-code prefixes must be given as exact entries.
"""

from __future__ import annotations

import re
from functools import lru_cache

from numbering import CHINA_CC, normalize
from records.errors import InvalidInputError
from screening.numberlist import MatchKind

MAX_PATTERN_LEN = 200
_PREFIX_RE = re.compile(r"\+?\d{1,20}")
_SEPARATORS_RE = re.compile(r"[\s\-().]")


def _exact(value: str) -> str:
    number = normalize(value)
    if number.normalized is None:
        raise InvalidInputError(f"{value!r} is not a valid phone number ({number.kind.value})")
    return number.normalized


def _prefix(value: str) -> str:
    digits = _SEPARATORS_RE.sub("", value)
    if not _PREFIX_RE.fullmatch(digits):
        raise InvalidInputError(f"prefix {value!r} must be digits, optionally starting with '+'")
    if digits.startswith("+"):
        return digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0") and len(digits) >= 2:
        return f"+{CHINA_CC}{digits[1:]}"
    if digits.startswith("1"):
        return f"+{CHINA_CC}{digits}"
    raise InvalidInputError(f"prefix {value!r} is ambiguous: write it as +86… or with the trunk 0 (0755…)")


def _range(value: str) -> str:
    first, sep, last = value.replace("..", "-").partition("-")
    if not sep or "-" in last:
        raise InvalidInputError(f"range {value!r} must be FIRST-LAST, e.g. 075512340000-075512349999")
    low, high = _exact(first.strip()), _exact(last.strip())
    if len(low) != len(high):
        raise InvalidInputError(f"range {value!r}: both ends must have the same length")
    if low > high:
        raise InvalidInputError(f"range {value!r}: the first number is above the last")
    return f"{low}-{high}"


def _pattern(value: str) -> str:
    if len(value) > MAX_PATTERN_LEN:
        raise InvalidInputError(f"pattern is longer than {MAX_PATTERN_LEN} characters")
    try:
        re.compile(value)
    except re.error as exc:
        raise InvalidInputError(f"pattern {value!r} is not a valid regular expression: {exc}") from None
    return value


_NORMALIZERS = {
    MatchKind.EXACT: _exact,
    MatchKind.PREFIX: _prefix,
    MatchKind.RANGE: _range,
    MatchKind.PATTERN: _pattern,
}


def normalize_value(kind: MatchKind, value: str) -> str:
    """The stored form of ``value``; :class:`InvalidInputError` names the bad value."""
    text = value.strip()
    if not text:
        raise InvalidInputError(f"empty {kind.value} value")
    return _NORMALIZERS[kind](text)


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def value_matches(kind: MatchKind, value: str, normalized: str) -> bool:
    """Does an entry match a normalised number? Used where the in-memory engine is not at hand (API lookup)."""
    if kind is MatchKind.EXACT:
        return value == normalized
    if kind is MatchKind.PREFIX:
        return normalized.startswith(value)
    if kind is MatchKind.RANGE:
        low, _, high = value.partition("-")
        return len(normalized) == len(low) and low <= normalized <= high
    compiled = _compiled(value)
    return compiled is not None and compiled.fullmatch(normalized) is not None


def prefixes_of(normalized: str) -> list[str]:
    """Every leading part of a number: the candidate prefix entries, for an indexed ``IN`` lookup."""
    return [normalized[:i] for i in range(2, len(normalized) + 1)]
