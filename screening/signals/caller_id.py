"""Caller-ID signals: list matches, anonymous callers, repeat callers, prefix bursts and agent confirmations.

Pure apart from the two lookups it is given (the number lists and the call history, both in memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from numbering import CallerNumber, NumberKind, mask
from screening.config import ScreeningConfig
from screening.interfaces import CallHistory
from screening.lexicon import Lexicon
from screening.numberlist import ListMatch, ListName, NumberLists, decisive, match_key
from screening.verdict import Reason, SignalKind


@dataclass(frozen=True, slots=True)
class CallerFacts:
    reasons: tuple[Reason, ...]
    allowlisted: bool
    blocklisted: bool

    @property
    def suspicious(self) -> bool:
        return any(r.weight > 0 for r in self.reasons)


def burst_prefix(caller: CallerNumber, config: ScreeningConfig) -> str | None:
    """The range a burst is counted over: the number without its last digits (one organisation's block)."""
    number = caller.normalized
    if number is None or (caller.kind is NumberKind.MOBILE and not config.burst_mobile):
        return None
    if len(number) <= config.burst_drop_digits + 3:
        return None
    return number[: -config.burst_drop_digits]


def _list_reason(match: ListMatch, lexicon: Lexicon) -> Reason:
    entry = match.entry
    name = {ListName.BLOCK: "blocklisted", ListName.ALLOW: "allowlisted"}.get(entry.list, entry.list.value)
    detail = f"caller matches the {entry.list.value} list ({entry.kind.value} {entry.value})"
    evidence = (f"{entry.kind.value}:{entry.value}",) + ((entry.reason,) if entry.reason else ())
    return Reason(f"caller.{name}", SignalKind.CALLER_ID, lexicon.weight(name), detail, evidence)


def decisive_match(matches: list[ListMatch]) -> ListMatch | None:
    """The allow/block entry that decides the call (:mod:`screening.numberlist.precedence`), if any matched."""
    return decisive(matches, match_key)


def caller_facts(
    caller: CallerNumber | None,
    now: datetime,
    *,
    lists: NumberLists,
    history: CallHistory,
    config: ScreeningConfig,
    lexicon: Lexicon,
) -> CallerFacts:
    if caller is None:
        return CallerFacts((), False, False)
    if caller.is_anonymous:
        reason = Reason("caller.anonymous", SignalKind.CALLER_ID, lexicon.weight("anonymous"),
                        "caller ID withheld or anonymous", (caller.raw or "no caller ID",))  # fmt: skip
        return CallerFacts((reason,), False, False)
    reasons: list[Reason] = []
    matches = lists.lookup(caller, now)
    decisive = decisive_match(matches)
    allow = decisive is not None and decisive.entry.list is ListName.ALLOW
    block = decisive is not None and decisive.entry.list is ListName.BLOCK
    if decisive is not None:
        reasons.append(_list_reason(decisive, lexicon))
    seen_lists = {ListName.ALLOW, ListName.BLOCK}
    for match in matches:
        if match.entry.list not in seen_lists:
            seen_lists.add(match.entry.list)
            reasons.append(_list_reason(match, lexicon))
    if caller.normalized is not None:
        reasons.extend(_history_reasons(caller, caller.normalized, now, history, config, lexicon))
    return CallerFacts(tuple(reasons), allow, block)


def _history_reasons(
    caller: CallerNumber, number: str, now: datetime, history: CallHistory, config: ScreeningConfig, lexicon: Lexicon
) -> list[Reason]:
    reasons: list[Reason] = []
    since = now - timedelta(minutes=config.repeat_window_min)
    earlier = history.count_from(number, since)
    if earlier + 1 >= config.repeat_count:
        reasons.append(
            Reason("caller.repeat", SignalKind.CALLER_ID, lexicon.weight("repeat"), "repeat caller",
                   (f"{earlier + 1} calls from {mask(number)} in {config.repeat_window_min:g} min",))
        )  # fmt: skip
    prefix = burst_prefix(caller, config)
    if prefix is not None:
        burst_since = now - timedelta(minutes=config.burst_window_min)
        others = history.count_prefix(prefix, burst_since) - history.count_from(number, burst_since)
        if others + 1 >= config.burst_count:
            reasons.append(
                Reason("caller.prefix_burst", SignalKind.CALLER_ID, lexicon.weight("prefix_burst"),
                       "burst of calls from one number range",
                       (f"{others + 1} calls from {mask(prefix)}{'x' * config.burst_drop_digits}"
                        f" in {config.burst_window_min:g} min",))
            )  # fmt: skip
    confirmed = history.agent_confirmations(number, now - timedelta(days=config.confirmation_window_days))
    if confirmed:
        reasons.append(
            Reason("caller.agent_confirmed", SignalKind.CALLER_ID, lexicon.weight("agent_confirmed"),
                   "agents confirmed harassment from this number recently",
                   (f"{confirmed} confirmation(s) in {config.confirmation_window_days:g} days",))
        )  # fmt: skip
    return reasons
