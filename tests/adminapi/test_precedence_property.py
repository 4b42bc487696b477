"""Property: the lookup API and the screener decide allow/block the same way for any list (issue 16).

Random lists with conflicting allow and block entries of every kind (exact, prefix, range, pattern; some lifted or
expired) are written to the database; the screener loads them the way ``serve`` does (``active_entries`` into the
in-memory matcher) and pre-screens each number, while ``GET /api/v1/lookup`` answers over HTTP. 10 examples × 100
numbers = 1,000 numbers per run. Entries and numbers share one 10,000-number block so that conflicts are common.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from numbering import normalize
from records import Role
from records.lists import active_entries, bump_version
from records.models import NumberEntry
from screening.config import ScreeningConfig
from screening.engine import ScreeningEngine
from screening.history import InMemoryCallHistory
from screening.interfaces import CallContext, PreDecision
from screening.numberlist import EntrySource, EntryStatus, InMemoryNumberLists, ListName, MatchKind
from tests.adminapi.conftest import ApiHarness

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


def _store(api: ApiHarness, entries: list[tuple[ListName, tuple[MatchKind, str], str]]) -> None:
    with api.db.session() as session:
        session.execute(delete(NumberEntry))
        for list_name, (kind, value), state in entries:
            session.add(NumberEntry(
                list=list_name, kind=kind, value=value, reason="property test", source=EntrySource.MANAGER,
                author="test", status=EntryStatus.ACTIVE if state == "expired" else EntryStatus(state),
                expires_at=PAST if state == "expired" else (FUTURE if state == "active" and len(value) % 2 else None),
            ))  # fmt: skip
        bump_version(session)


def _screener_answer(engine: ScreeningEngine, number: str) -> str | None:
    pre = engine.prescreen(CallContext(call_id="p", caller=normalize(number), at=AT))
    return {PreDecision.TO_AGENTS: "allow", PreDecision.BLOCKED: "block"}.get(pre.decision)


def _api_answer(api: ApiHarness, number: str) -> str | None:
    response = api.client.get("/api/v1/lookup", params={"number": number}, headers=api.headers(Role.MANAGER))
    assert response.status_code == 200, response.text
    body = response.json()
    assert not (body["allowed"] and body["blocked"])
    return "allow" if body["allowed"] else "block" if body["blocked"] else None


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=entries_strategy, numbers=numbers_strategy)
def test_lookup_api_and_screener_agree(
    api: ApiHarness, entries: list[tuple[ListName, tuple[MatchKind, str], str]], numbers: list[str]
) -> None:
    _store(api, entries)
    with api.db.session() as session:
        lists = InMemoryNumberLists(active_entries(session, AT), version=1)
    engine = ScreeningEngine(ScreeningConfig(), lists=lists, history=InMemoryCallHistory(), content_available=True)
    for number in numbers:
        assert _screener_answer(engine, number) == _api_answer(api, number), (number, entries)


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
