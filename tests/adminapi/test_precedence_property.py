"""Property: the lookup API and the screener decide allow/block the same way for any list (issue 16), and the
lookup answered from the node's in-memory lists is the lookup answered from the database (issue 14).

Random lists with conflicting allow and block entries of every kind (exact, prefix, range, pattern; some lifted,
proposed or expired) are written to the database; the screener loads them the way ``serve`` does (``active_entries``
into the in-memory matcher) and pre-screens each number, while ``GET /api/v1/lookup`` answers over HTTP from two
apps on the same database: one with in-memory lists fed by a ``ListSync`` (as ``serve`` and ``python -m adminapi``
run it), one without (the database path). 10 examples × 100 numbers = 1,000 numbers per run and backend, each
answered by the screener and both apps; the two apps' whole answers must be equal. Then a random list change is
written: until the poll picks it up the memory app must notice and answer from the database, and after the poll
from memory again — equal answers both times. Entries and numbers share one 10,000-number block so that conflicts
are common.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from adminapi.routes.lookup import SOURCE_HEADER
from numbering import normalize
from records import Database, Role
from records.lists import active_entries, bump_version
from records.listsync import ListSync
from records.lookup import MemoryLists
from records.models import NumberEntry
from screening.config import ScreeningConfig
from screening.engine import ScreeningEngine
from screening.history import InMemoryCallHistory
from screening.interfaces import CallContext, PreDecision
from screening.numberlist import EntrySource, EntryStatus, InMemoryNumberLists, ListName, MatchKind
from tests.adminapi.conftest import ApiHarness, api_harness

BLOCK_BASE = "+861380012"  # + 4 digits = a valid mobile number
AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai: no time-of-day reasons
PAST = datetime(2020, 1, 1, tzinfo=UTC)
FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
NUMBERS_PER_EXAMPLE = 100
EXAMPLES = 10

four = st.integers(0, 9999).map(lambda n: f"{n:04d}")
pattern_digit = st.one_of(
    st.integers(0, 9).map(str),
    st.just(r"\d"),
    st.tuples(st.integers(0, 9), st.integers(0, 9)).map(lambda t: f"[{min(t)}-{max(t)}]"),
)


@st.composite
def entry_values(draw: st.DrawFn) -> tuple[MatchKind, str]:
    kind = draw(st.sampled_from(list(MatchKind)))
    if kind is MatchKind.EXACT:
        return kind, BLOCK_BASE + draw(four)
    if kind is MatchKind.PREFIX:
        return kind, BLOCK_BASE[: draw(st.integers(6, len(BLOCK_BASE)))] + draw(st.text("0123456789", max_size=3))
    if kind is MatchKind.RANGE:
        low, high = sorted((draw(four), draw(four)))
        return kind, f"{BLOCK_BASE}{low}-{BLOCK_BASE}{high}"
    return kind, r"\+861380012" + "".join(draw(st.lists(pattern_digit, min_size=4, max_size=4)))


entries_strategy = st.lists(
    st.tuples(
        st.sampled_from([ListName.ALLOW, ListName.BLOCK, ListName.SWITCHBOARD]),
        entry_values(),
        st.sampled_from(["active"] * 6 + ["lifted", "proposed", "expired"]),
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda t: (t[0], t[1]),
)
numbers_strategy = st.lists(four.map(lambda d: BLOCK_BASE + d), min_size=NUMBERS_PER_EXAMPLE,
                            max_size=NUMBERS_PER_EXAMPLE)  # fmt: skip


Entries = list[tuple[ListName, tuple[MatchKind, str], str]]
STATES = ["active"] * 6 + ["lifted", "proposed", "expired"]
entry_tuples = st.tuples(st.sampled_from([ListName.ALLOW, ListName.BLOCK, ListName.SWITCHBOARD]), entry_values(),
                         st.sampled_from(STATES))  # fmt: skip
# A list change as a manager makes it: add an entry, or set one existing entry (by index) to a state.
changes_strategy = st.one_of(
    st.tuples(st.just("add"), entry_tuples),
    st.tuples(st.just("set"), st.tuples(st.integers(0, 24), st.sampled_from(STATES))),
)


@dataclass
class Node:
    """One node's API twice on one database: with in-memory lists and their sync, and without (database only)."""

    memory: ApiHarness
    database: ApiHarness
    lists: MemoryLists
    sync: ListSync


@pytest.fixture
def node(database: Database) -> Iterator[Node]:
    lists = MemoryLists.empty()
    sync = ListSync(database, lists.enforced, proposals=lists.proposed, clock=lambda: AT)
    with api_harness(database, lists=lists, clock=lambda: AT) as memory, api_harness(database, clock=lambda: AT) as db:
        yield Node(memory, db, lists, sync)


def _state_columns(state: str, value: str) -> dict[str, Any]:
    return {
        "status": EntryStatus.ACTIVE if state == "expired" else EntryStatus(state),
        "expires_at": PAST if state == "expired" else (FUTURE if state == "active" and len(value) % 2 else None),
    }


def _store(api: ApiHarness, entries: Entries) -> None:
    with api.db.session() as session:
        session.execute(delete(NumberEntry))
        for list_name, (kind, value), state in entries:
            session.add(NumberEntry(list=list_name, kind=kind, value=value, reason="property test",
                                    source=EntrySource.MANAGER, author="test", **_state_columns(state, value)))
        bump_version(session)  # fmt: skip


def _change(api: ApiHarness, change: tuple[str, Any]) -> None:
    """Apply one list change in one transaction with its version bump, as every list change is made."""
    what, detail = change
    with api.db.session() as session:
        if what == "add":
            list_name, (kind, value), state = detail
            exists = session.scalars(select(NumberEntry).where(NumberEntry.list == list_name,
                                                               NumberEntry.kind == kind, NumberEntry.value == value))
            if exists.first() is None:
                session.add(NumberEntry(list=list_name, kind=kind, value=value, reason="change", author="test",
                                        source=EntrySource.MANAGER, **_state_columns(state, value)))
        else:
            index, state = detail
            rows = list(session.scalars(select(NumberEntry).order_by(NumberEntry.id)))
            entry = rows[index % len(rows)]
            for column, value in _state_columns(state, entry.value).items():
                setattr(entry, column, value)
        bump_version(session)  # fmt: skip


def _screener_answer(engine: ScreeningEngine, number: str) -> str | None:
    pre = engine.prescreen(CallContext(call_id="p", caller=normalize(number), at=AT))
    return {PreDecision.TO_AGENTS: "allow", PreDecision.BLOCKED: "block"}.get(pre.decision)


def _lookup(api: ApiHarness, number: str, source: str) -> dict[str, Any]:
    response = api.client.get("/api/v1/lookup", params={"number": number}, headers=api.headers(Role.MANAGER))
    assert response.status_code == 200, response.text
    assert response.headers[SOURCE_HEADER] == source
    body: dict[str, Any] = response.json()
    assert not (body["allowed"] and body["blocked"])
    return body


def _decision(body: dict[str, Any]) -> str | None:
    return "allow" if body["allowed"] else "block" if body["blocked"] else None


def _api_answer(api: ApiHarness, number: str) -> str | None:
    return _decision(_lookup(api, number, "database"))


def _memory_agrees(node: Node, numbers: list[str], source: str) -> None:
    for number in numbers:
        assert _lookup(node.memory, number, source) == _lookup(node.database, number, "database"), number


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=entries_strategy, numbers=numbers_strategy, change=changes_strategy)
def test_lookup_api_and_screener_agree(node: Node, entries: Entries, numbers: list[str],
                                       change: tuple[str, Any]) -> None:  # fmt: skip
    _store(node.database, entries)
    node.sync.load()
    with node.database.db.session() as session:
        lists = InMemoryNumberLists(active_entries(session, AT), version=1)
    engine = ScreeningEngine(ScreeningConfig(), lists=lists, history=InMemoryCallHistory(), content_available=True)
    for number in numbers:
        from_memory = _lookup(node.memory, number, "memory")
        from_database = _lookup(node.database, number, "database")
        assert from_memory == from_database, (number, entries)
        assert _screener_answer(engine, number) == _decision(from_database), (number, entries)
    _change(node.database, change)
    _memory_agrees(node, numbers[:10], "database")  # the poll has not run: memory is stale and knows it
    assert node.sync.poll()
    _memory_agrees(node, numbers[:10], "memory")


def test_precedence_rule_cases(api: ApiHarness) -> None:
    """The rule spelled out in the README, on fixed cases: specificity first, then allow over block."""
    _store(api, [
        (ListName.BLOCK, (MatchKind.PREFIX, "+8613800"), "active"),
        (ListName.ALLOW, (MatchKind.PREFIX, "+861380012"), "active"),  # longer prefix beats the shorter block
        (ListName.BLOCK, (MatchKind.EXACT, "+8613800120001"), "active"),  # exact block beats the allow prefix
        (ListName.BLOCK, (MatchKind.RANGE, "+8613800129000-+8613800129999"), "active"),
        (ListName.ALLOW, (MatchKind.RANGE, "+8613800129500-+8613800129599"), "active"),  # tie: allow wins
        (ListName.BLOCK, (MatchKind.PATTERN, r"\+8613900139\d{3}"), "active"),
        (ListName.ALLOW, (MatchKind.PATTERN, r"\+86139001399\d{2}"), "active"),  # tie among patterns: allow
    ])  # fmt: skip
    with api.db.session() as session:
        engine = ScreeningEngine(ScreeningConfig(), lists=InMemoryNumberLists(active_entries(session, AT), 1),
                                 history=InMemoryCallHistory(), content_available=True)  # fmt: skip
    expected = {
        "+8613800120002": "allow", "+8613800120001": "block", "+8613800550000": "block",
        "+8613800129000": "block", "+8613800129550": "allow", "+8613900139000": "block", "+8613900139900": "allow",
    }  # fmt: skip
    for number, answer in expected.items():
        assert (_screener_answer(engine, number), _api_answer(api, number)) == (answer, answer), number
