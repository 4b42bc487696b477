"""Fixtures shared by the end-to-end tests: the tools a sipp call needs, and a sink for what callers hear."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import RtpSink, require_call_tools


@pytest.fixture
def tools() -> None:
    require_call_tools()


@pytest.fixture
def sink() -> Iterator[RtpSink]:
    receiver = RtpSink()
    yield receiver
    receiver.stop()
