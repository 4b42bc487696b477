"""Structured logging: JSON lines, and no caller number unmasked at the default level."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from callscreen.logconfig import configure_logging, mask_text


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    yield buf
    configure_logging("WARNING", stream=io.StringIO())  # leave the root logger quiet for other tests


def test_numbers_are_masked_in_plain_lines(stream: io.StringIO) -> None:
    configure_logging("INFO", stream=stream)
    logging.getLogger("t").info("call from %s to %s", "13812345678", "+86 10 1234 5678")
    out = stream.getvalue()
    assert "13812345678" not in out and "12345678" not in out
    assert "138****5678" in out


def test_json_lines_with_extra_fields_masked(stream: io.StringIO) -> None:
    configure_logging("INFO", json_lines=True, stream=stream)
    logging.getLogger("t").warning("blocked caller", extra={"caller": "13812345678", "call_id": "abc"})
    event = json.loads(stream.getvalue().strip())
    assert event["level"] == "WARNING" and event["msg"] == "blocked caller"
    assert event["caller"] == "138****5678" and event["call_id"] == "abc"


def test_masking_can_be_turned_off_for_debugging(stream: io.StringIO) -> None:
    configure_logging("INFO", mask_numbers=False, stream=stream)
    logging.getLogger("t").info("caller %s", "13812345678")
    assert "13812345678" in stream.getvalue()


def test_mask_text_leaves_short_numbers_times_and_ids_alone() -> None:
    assert mask_text("port 5060, 20 ms, at 12:05:00, CSeq 102") == "port 5060, 20 ms, at 12:05:00, CSeq 102"
    assert mask_text("caller 0755-23456789 rang") == "caller 075*****6789 rang"
