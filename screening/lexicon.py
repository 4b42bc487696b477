"""Lexicons and signal weights: data files, validated when loaded.

The packaged files live in ``screening/data/``: word lists (``abuse.txt``, ``talk.txt``, ``business.txt``; UTF-8,
one ``term category weight [match]`` per line), sentence constructions (``constructions.pat``, one
``name category weight regex`` per line, see :mod:`screening.constructions`) and ``weights.txt`` (``name weight``
for the rule-based signals). A deployment directory overrides them: a file there with a packaged file's name
replaces it, any other ``*.txt`` word list or ``*.pat`` constructions file there is added, and its
``weights.txt`` overrides only the names it lists. Every problem is a :class:`~screening.errors.LexiconError`
naming file, line and value, so a bad edit fails at start-up, not on a call.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from screening.constructions import Construction, compile_pattern
from screening.errors import LexiconError
from screening.knobs import KNOBS
from screening.text.normalize import normalize_text
from screening.text.pinyin import to_pinyin

logger = logging.getLogger(__name__)
_UNWEIGHTED_LISTS: set[str] = set()  # warned once per process
WEIGHTS_FILE = "weights.txt"
PATTERN_SUFFIX = ".pat"
MAX_WEIGHT = 1.0


class Category(enum.StrEnum):
    SEXUAL = "sexual"
    INSULT = "insult"
    CURSE = "curse"
    SWEAR = "swear"
    THREAT = "threat"
    PRANK = "prank"
    MOCKING = "mocking"
    ROOM = "room"
    OFFTOPIC = "offtopic"
    BUSINESS = "business"
    ENQUIRY = "enquiry"
    COMPLAINT = "complaint"
    PRODUCT = "product"
    ADDRESS = "address"
    LINE = "line"  # greetings and checks of the line (喂, 有人吗, 听得到吗): nothing said yet


NEGATIVE = frozenset({Category.BUSINESS, Category.ENQUIRY, Category.COMPLAINT, Category.PRODUCT})
ZERO = frozenset({Category.ADDRESS, Category.LINE})


class MatchLevel(enum.StrEnum):
    CHAR = "char"
    PINYIN = "pinyin"
    FUZZY = "fuzzy"


KNOWN_WEIGHTS = frozenset(KNOBS)  # every knob must have a value in the packaged weights.txt


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # normalised characters
    category: Category
    weight: float
    match: MatchLevel
    syllables: tuple[str, ...]
    source: str  # "file:line", for explanations and errors


@dataclass(frozen=True, slots=True)
class Lexicon:
    terms: tuple[Term, ...]
    weights: dict[str, float] = field(default_factory=dict)
    constructions: tuple[Construction, ...] = ()

    def weight(self, name: str) -> float:
        """A knob's value (``screening/knobs.py`` declares the names; the loader guarantees each has a value)."""
        return self.weights[name]

    def list_weight(self, name: str) -> float:
        """A number list's weight: a list the vocabulary gained without a knob counts 0 (logged), never fails."""
        value = self.weights.get(name)
        if value is None:
            if name not in _UNWEIGHTED_LISTS:
                _UNWEIGHTED_LISTS.add(name)
                logger.warning("number list %r has no weight in weights.txt: its matches count 0", name)
            return 0.0
        return value


def _default_match(text: str, category: Category) -> MatchLevel:
    if category in NEGATIVE or len(text) == 1 or not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return MatchLevel.CHAR
    return MatchLevel.PINYIN if len(text) == 2 else MatchLevel.FUZZY


def _entries(text: str, source: str, arity: tuple[int, ...], form: str) -> Iterator[tuple[str, list[str]]]:
    """Non-blank, comment-stripped lines as ("file:line", fields), refusing a wrong number of fields."""
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        where = f"{source}:{number}"
        parts = body.split()
        if len(parts) not in arity:
            raise LexiconError(f"{where}: expected '{form}', got {body!r}")
        yield where, parts


def _parse_weight(raw: str, where: str, low: float = -MAX_WEIGHT, high: float = MAX_WEIGHT) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise LexiconError(f"{where}: weight {raw!r} is not a number") from None
    if not low <= value <= high:
        raise LexiconError(f"{where}: weight {value} is outside [{low:g}, {high:g}]")
    return value


def _parse_category(raw: str, where: str) -> Category:
    try:
        return Category(raw)
    except ValueError:
        known = ", ".join(c.value for c in Category)
        raise LexiconError(f"{where}: unknown category {raw!r} (known: {known})") from None


def _signed_weight(raw: str, category: Category, where: str) -> float:
    """A weight whose sign fits its category (business words lower suspicion, abuse raises it)."""
    weight = _parse_weight(raw, where)
    if category in NEGATIVE and weight > 0:
        raise LexiconError(f"{where}: category {category} lowers suspicion; weight {weight} must be <= 0")
    if category in ZERO and weight != 0:
        raise LexiconError(f"{where}: category {category} carries no weight; use 0, not {weight}")
    if category not in NEGATIVE and category not in ZERO and weight < 0:
        raise LexiconError(f"{where}: category {category} raises suspicion; weight {weight} must be >= 0")
    return weight


def parse_constructions(text: str, source: str) -> list[Construction]:
    """Parse one constructions file (``name category weight regex``); raise :class:`LexiconError` at a bad line."""
    found: list[Construction] = []
    names: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.strip()
        if not body or body.startswith("#"):
            continue  # no inline comments: '#' may be part of a pattern
        where = f"{source}:{number}"
        parts = body.split(None, 3)
        if len(parts) != 4:
            raise LexiconError(f"{where}: expected 'name category weight regex', got {body!r}")
        name, raw_category, raw_weight, raw_pattern = parts
        category = _parse_category(raw_category, where)
        if category in ZERO:
            raise LexiconError(f"{where}: category {category} cannot be a construction")
        weight = _signed_weight(raw_weight, category, where)
        if name in names:
            raise LexiconError(f"{where}: construction {name!r} is already defined at {names[name]}")
        names[name] = where
        found.append(Construction(name, category.value, weight, compile_pattern(raw_pattern, where), where))
    return found


def parse_terms(text: str, source: str) -> list[Term]:
    """Parse one word-list file; raise :class:`LexiconError` at the first bad line."""
    terms: list[Term] = []
    first_seen: dict[tuple[str, Category], str] = {}
    for where, parts in _entries(text, source, (3, 4), "term category weight [match]"):
        raw_term, raw_category, raw_weight = parts[:3]
        term = normalize_text(raw_term)
        if not term:
            raise LexiconError(f"{where}: term {raw_term!r} is empty after normalisation")
        category = _parse_category(raw_category, where)
        weight = _signed_weight(raw_weight, category, where)
        try:
            match = MatchLevel(parts[3]) if len(parts) == 4 else _default_match(term, category)
        except ValueError:
            raise LexiconError(f"{where}: unknown match level {parts[3]!r} (known: char, pinyin, fuzzy)") from None
        if (term, category) in first_seen:
            raise LexiconError(f"{where}: term {term!r} ({category}) is already listed at {first_seen[term, category]}")
        first_seen[term, category] = where
        terms.append(Term(term, category, weight, match, tuple(to_pinyin(term)), where))
    return terms


def parse_weights(text: str, source: str) -> dict[str, float]:
    """Parse a weights file against the knob table (:mod:`screening.knobs`): names, ranges, no duplicates."""
    weights: dict[str, float] = {}
    seen: dict[str, str] = {}
    for where, parts in _entries(text, source, (2,), "name weight"):
        knob = KNOBS.get(parts[0])
        if knob is None:
            raise LexiconError(f"{where}: unknown weight name {parts[0]!r}")
        if knob.name in seen:
            raise LexiconError(f"{where}: {knob.name!r} is already set at {seen[knob.name]}")
        seen[knob.name] = where
        weights[knob.name] = _parse_weight(parts[1], where, knob.low, knob.high)
    return weights


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LexiconError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise LexiconError(f"{path}: cannot be read ({exc.strerror})") from None


def _packaged() -> dict[str, str]:
    data = resources.files("screening") / "data"
    return {
        item.name: item.read_text(encoding="utf-8")
        for item in data.iterdir()
        if item.name.endswith((".txt", PATTERN_SUFFIX))
    }


def load_lexicon(override_dir: Path | None = None) -> Lexicon:
    """The packaged lexicon, overridden by ``override_dir`` as described in the module docstring."""
    files = {name: (f"screening/data/{name}", text) for name, text in _packaged().items()}
    extra_weights: tuple[str, str] | None = None
    if override_dir is not None:
        if not override_dir.is_dir():
            raise LexiconError(f"lexicon directory {override_dir} does not exist or is not a directory")
        for path in sorted([*override_dir.glob("*.txt"), *override_dir.glob("*" + PATTERN_SUFFIX)]):
            if path.name == WEIGHTS_FILE:
                extra_weights = (str(path), _read(path))
            else:
                files[path.name] = (str(path), _read(path))
    base_source, base_text = files.pop(WEIGHTS_FILE)
    weights = parse_weights(base_text, base_source)
    missing = KNOWN_WEIGHTS - weights.keys()
    if missing:
        raise LexiconError(f"{base_source}: missing weights {', '.join(sorted(missing))}")
    if extra_weights is not None:
        weights.update(parse_weights(extra_weights[1], extra_weights[0]))
    terms: list[Term] = []
    constructions: list[Construction] = []
    for name in sorted(files):
        source, text = files[name]
        if name.endswith(PATTERN_SUFFIX):
            constructions.extend(parse_constructions(text, source))
        else:
            terms.extend(parse_terms(text, source))
    return Lexicon(tuple(terms), weights, tuple(constructions))
