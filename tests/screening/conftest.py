"""Shared pieces for the screening tests: one engine per test over empty in-memory lists and history."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from screening.config import ScreeningConfig
from screening.engine import ScreeningEngine
from screening.history import InMemoryCallHistory
from screening.lexicon import Lexicon, load_lexicon
from screening.numberlist import InMemoryNumberLists

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYTIME = datetime(2026, 11, 23, 15, 0, tzinfo=SHANGHAI)
NIGHT = datetime(2026, 11, 23, 23, 30, tzinfo=SHANGHAI)
NOON = datetime(2026, 11, 23, 12, 5, tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return load_lexicon()


@pytest.fixture
def lists() -> InMemoryNumberLists:
    return InMemoryNumberLists()


@pytest.fixture
def history() -> InMemoryCallHistory:
    return InMemoryCallHistory()


@pytest.fixture
def engine(lexicon: Lexicon, lists: InMemoryNumberLists, history: InMemoryCallHistory) -> ScreeningEngine:
    return ScreeningEngine(ScreeningConfig(), lists=lists, history=history, content_available=True, lexicon=lexicon)
