"""No caller number (in any common format) and no transcript text in the logs at the default level.

Two runs: a real `callscreen serve` (its own logging setup) taking calls whose From and P-Asserted-Identity carry a
known number, plus the admin API handling that number (lookup, entry, CSV import with a bad row); and the real
composition root with the replay recogniser and the CLI's logging setup, where a harasser's and a customer's known
words pass through screening — the harasser's are stored in the record (proof they were in the service) and must
still not reach the log.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callscreen.logconfig import configure_logging
from callscreen.settings import Settings
from screening.interfaces import Route
from tests.conftest import free_port, require_tool
from tests.e2e.harness import HARASS_TEXT, LEGIT_TEXT, make_caller_audio, start_loopback
from tests.harness import ServiceProcess
from tests.robustness.calls import place_legit_calls
from tests.telephony.replay_recognizer import Utterance

DIGITS = "13812345678"  # the e2e harness's caller: sip:13812345678@…, tel:+8613812345678
SEP = r"[\s\-.()]*"
# 13812345678, +86 138 1234 5678, 86-138-1234-5678, (138) 1234.5678 …: the 11 digits in order, any separators.
NUMBER_RE = re.compile(SEP.join(DIGITS))
TRANSCRIPT_WORDS = ("傻逼", "操你妈", "声音真骚", "陪我聊聊天", "查一下我的订单", "快递三天", "还没到")


def leaks(log: str) -> list[str]:
    found = [m.group(0) for m in NUMBER_RE.finditer(log)]
    return found + [w for w in TRANSCRIPT_WORDS if w in log]


def test_served_node_logs_no_caller_number(tmp_path: Path) -> None:
    require_tool("sipp")
    sipp_port = free_port()
    node = ServiceProcess(tmp_path, env={"CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}"}).start()
    try:
        key = node.cli("keys", "create", "--role", "admin").stdout.strip()
        headers = {"X-API-Key": key}
        run = place_legit_calls(tmp_path, node.sip_port, sipp_port, 5,
                                caller_from=f'"{DIGITS}" <sip:{DIGITS}@carrier.example>')
        assert run.dropped == 0, run.output
        with httpx.Client(base_url=f"{node.api}/api/v1", headers=headers, timeout=30) as api:
            assert api.get("/lookup", params={"number": "+86 138-1234-5678"}).status_code == 200
            assert api.post("/lists/entries", json={"value": DIGITS, "reason": "test"}).status_code == 201
            assert api.post("/lists/entries", json={"value": DIGITS}).status_code == 409
            bad = f"value,expires_at\n{DIGITS},not-a-date\n+8613812345678x,\n".encode()
            assert api.post("/lists/import", files={"file": ("l.csv", bad, "text/csv")}).status_code == 422
    finally:
        node.stop()
    log = node.log_path.read_text(errors="replace")
    assert "call=" in log and "done: route=" in log, "the node logged no calls at all"
    assert not leaks(log), leaks(log)


@pytest.fixture
def cli_logging() -> Iterator[io.StringIO]:
    """The logging `callscreen` sets up at the default level, into a buffer; the test runner's is restored."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buffer = io.StringIO()
    defaults = Settings().log
    configure_logging(defaults.level, json_lines=defaults.json_lines, mask_numbers=defaults.mask_numbers,
                      stream=buffer)
    try:
        yield buffer
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


@pytest.mark.parametrize(("text", "scenario", "route"), [
    (HARASS_TEXT, "uac-harasser-expect-sit-bye.xml", Route.ANALYSIS),
    (LEGIT_TEXT, "uac-legit-expect-refer.xml", Route.AGENTS),
])
def test_screened_call_logs_no_transcript_and_no_number(
    tmp_path: Path, cli_logging: io.StringIO, text: str, scenario: str, route: Route
) -> None:
    for tool in ("sipp", "espeak-ng", "sox"):
        require_tool(tool)
    make_caller_audio(tmp_path, text, "PCMU")
    loop = start_loopback(tmp_path, (Utterance(1.5, text),), screening={"listen_timeout_s": 4.0})
    try:
        result = loop.sipp(scenario)
        assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
        (record,) = loop.records()
    finally:
        loop.service.stop(drain_timeout_s=1.0)
    assert record.route is route
    if route is Route.ANALYSIS:
        assert record.transcript == text  # the words were in the service and kept for review
    log = cli_logging.getvalue()
    assert f"call={record.call_id}" in log or "done: route=" in log, log[-2000:]
    assert not leaks(log), leaks(log)
