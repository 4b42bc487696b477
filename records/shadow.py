"""Shadow mode: replay the kept screening inputs under a candidate change and say which verdicts would change.

A candidate is any of: a content-model directory, a lexicon directory (words and weights), screening settings
(thresholds, windows …) and a number-list CSV (as if imported on top of today's lists). Both sides are replayed
— the *baseline* with the live settings, model and lists, the *candidate* with the change — over the same stored
inputs (``shadow_inputs``: transcript, caller, time, the caller's history then), so that the difference is the
change's alone and not the drift between the live call and an offline replay (early verdicts, partial
transcripts). Outcomes compare as ``allow`` < ``suspect`` < ``harassment`` < ``blocked``; a change upward is
*stricter*, downward *more lenient*. Calls not content-screened live (blocked, allowlisted, outside the screening
mode) have no transcript: if the candidate would now screen their content, the replay says so
(``would_listen``) rather than invent what they would have said.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from numbering import mask, normalize
from records.errors import CsvImportError, InvalidInputError
from records.list_csv import parse_entries
from records.lists import active_entries
from records.models import ShadowInput
from records.shadow_capture import FrozenHistory
from screening.config import ScreeningConfig
from screening.engine import ScreeningEngine
from screening.interfaces import CallContext, PreDecision
from screening.lexicon import Lexicon
from screening.numberlist import EntrySource, InMemoryNumberLists, ListEntry, ListName
from screening.signals.learned import ContentScorer

MAX_LISTED = 500
ORDER = {"allow": 0, "suspect": 1, "harassment": 2, "blocked": 3}


@dataclass(frozen=True, slots=True)
class Side:
    """One side of the comparison: the screening configuration, model, lexicon and list entries it runs with."""

    config: ScreeningConfig
    scorer: ContentScorer | None = None
    lexicon: Lexicon | None = None  # None: loaded from ``config.lexicon_dir`` (or the packaged one)
    entries: Sequence[ListEntry] = ()


@dataclass(frozen=True, slots=True)
class ShadowChange:
    call_id: str
    at: datetime
    caller: str  # masked: the comparison is about verdicts, not people
    before: str
    after: str
    before_score: float
    after_score: float
    direction: str  # "stricter" | "lenient"
    would_listen: bool = False


@dataclass
class ShadowReport:
    since: datetime
    until: datetime
    inputs: int = 0
    listened: int = 0
    changed: int = 0
    stricter: int = 0
    lenient: int = 0
    would_listen: int = 0  # not content-screened live, but the candidate would screen them
    transitions: dict[str, int] = field(default_factory=dict)  # "allow→suspect": n
    calls: list[ShadowChange] = field(default_factory=list)  # the first MAX_LISTED changes, oldest first


def list_file_entries(text: str, *, zone: ZoneInfo, now: datetime) -> list[ListEntry]:
    """A list CSV (the import format) as entries, validated like an import; :class:`CsvImportError` if bad."""
    parsed, _ = parse_entries(text, default_list=ListName.BLOCK, zone=zone, now=now)
    return [ListEntry(list=row["list"], kind=row["kind"], value=row["value"], status=row["status"],  # type: ignore[arg-type]
                      source=EntrySource.IMPORT, reason=str(row["reason"]), expires_at=row["expires_at"])  # type: ignore[arg-type]
            for row in parsed.values()]  # fmt: skip


def _engine(side: Side, history: FrozenHistory) -> ScreeningEngine:
    lists = InMemoryNumberLists(list(side.entries), version=1)
    return ScreeningEngine(side.config, lists=lists, history=history, content_available=True, lexicon=side.lexicon,
                           scorer=side.scorer)  # fmt: skip


def _outcome(engine: ScreeningEngine, row: ShadowInput) -> tuple[str, float, bool]:
    """(outcome, score, would listen without a transcript) for one stored input."""
    caller = normalize(row.caller_raw or "")
    pre = engine.prescreen(CallContext(call_id=row.call_id, caller=caller, at=row.at))
    if pre.decision is PreDecision.BLOCKED:
        return "blocked", pre.verdict.score, False
    if pre.decision is PreDecision.SCREEN:
        if row.listened:
            verdict = engine.screen_transcript(row.transcript, caller, row.at)
            return verdict.label.value, verdict.score, False
        return pre.verdict.label.value, pre.verdict.score, True
    return pre.verdict.label.value, pre.verdict.score, False


def replay(session: Session, *, since: datetime, until: datetime, baseline: Side, candidate: Side) -> ShadowReport:
    """Replay every input in ``[since, until)`` on both sides; the differences, counted and listed."""
    history = FrozenHistory()
    before_engine, after_engine = _engine(baseline, history), _engine(candidate, history)
    report = ShadowReport(since=since, until=until)
    transitions: Counter[str] = Counter()
    stmt = select(ShadowInput).where(ShadowInput.at >= since, ShadowInput.at < until)
    for row in session.scalars(stmt.order_by(ShadowInput.at, ShadowInput.id).execution_options(yield_per=1000)):
        history.load(row)
        report.inputs += 1
        report.listened += row.listened
        before, before_score, _ = _outcome(before_engine, row)
        after, after_score, would_listen = _outcome(after_engine, row)
        report.would_listen += would_listen
        if before == after:
            continue
        report.changed += 1
        stricter = ORDER[after] > ORDER[before]
        report.stricter += stricter
        report.lenient += not stricter
        transitions[f"{before}→{after}"] += 1
        if len(report.calls) < MAX_LISTED:
            report.calls.append(ShadowChange(
                row.call_id, row.at, mask(normalize(row.caller_raw or "").normalized) or "anonymous", before, after,
                round(before_score, 3), round(after_score, 3), "stricter" if stricter else "lenient", would_listen,
            ))  # fmt: skip
    report.transitions = dict(transitions.most_common())
    return report


def live_entries(session: Session, now: datetime) -> list[ListEntry]:
    """Today's enforced list entries: the baseline's lists, and the base the candidate's list file adds to."""
    return active_entries(session, now)


class CandidateError(ValueError):
    """The candidate cannot be built (bad setting, unreadable model or lexicon, bad list file); one clear line."""


def load_model(directory: Path | None) -> ContentScorer | None:
    """A content-model directory through the learned model's own loader (``screening.learned``), if this build has
    it; None for None. Imported by name so that shadow mode works before and after that package is installed."""
    if directory is None:
        return None
    try:
        learned = importlib.import_module("screening.learned.model")
    except ImportError:
        raise CandidateError(
            "this build has no learned content model (screening.learned): --model is unavailable"
        ) from None
    try:
        scorer: ContentScorer = learned.ContentModel.load(directory)
    except Exception as exc:  # noqa: BLE001 — whatever the loader refuses with, it names the file: pass it on
        raise CandidateError(f"model directory {directory}: {exc}") from None
    return scorer


def live_scorer(config: ScreeningConfig) -> ContentScorer | None:
    """The model the live service uses with ``config`` (None when this build has no learned model)."""
    try:
        learned = importlib.import_module("screening.learned.model")
    except ImportError:
        return None
    loader = getattr(learned, "load_scorer", None)
    return loader(config) if loader is not None else None


def candidate(
    base: Side,
    *,
    settings: Mapping[str, object] | None = None,
    lexicon_dir: Path | None = None,
    model_dir: Path | None = None,
    list_text: str | None = None,
    now: datetime,
) -> Side:
    """The baseline with the candidate's changes applied; :class:`CandidateError` says what is wrong."""
    changes = dict(settings or {})
    if lexicon_dir is not None:
        if not lexicon_dir.is_dir():
            raise CandidateError(f"lexicon directory {lexicon_dir} does not exist")
        changes["lexicon_dir"] = lexicon_dir
    try:
        config = type(base.config).model_validate({**base.config.model_dump(), **changes})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CandidateError(f"setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    entries = list(base.entries)
    if list_text is not None:
        try:
            entries += list_file_entries(list_text, zone=config.zone, now=now)
        except (CsvImportError, InvalidInputError) as exc:
            raise CandidateError(f"list file: {exc}") from None
    lexicon = base.lexicon if lexicon_dir is None and config.lexicon_dir == base.config.lexicon_dir else None
    scorer = load_model(model_dir) if model_dir is not None else base.scorer
    return Side(config=config, scorer=scorer, lexicon=lexicon, entries=entries)
