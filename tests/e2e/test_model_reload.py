"""Reloading the learned content model while calls are being screened: none is dropped, a damaged directory is
refused and the model in use stays.

Real service (``build_service``), real SIP and RTP from sipp, real model directories (copies of the shipped
model, re-labelled or damaged on disk the way an operator's copy would be); only the recogniser is the replay
double. ``kill -HUP`` on a real ``callscreen serve`` is checked in tests/test_serve_doctor.py.
"""

from __future__ import annotations

import concurrent.futures
import json
import shutil
import time
from pathlib import Path

import pytest

from screening.errors import ModelRefusedError
from screening.interfaces import Route
from screening.learned.model import MANIFEST, WEIGHTS, shipped_dir, write_sums
from tests.e2e.harness import LEGIT_TEXT, make_caller_audio, require_call_tools, start_loopback
from tests.telephony.replay_recognizer import Utterance

pytestmark = [pytest.mark.sip, pytest.mark.slow]
CALLS = 4
LATE_LEGIT = (Utterance(3.0, LEGIT_TEXT),)  # the calls stay in screening for three seconds


def relabel(directory: Path, model_id: str) -> None:
    """What `callscreen train --out` over the same directory does to it, as far as a reload can tell."""
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    manifest["model_id"] = model_id
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    write_sums(directory)


def test_reload_while_calls_are_screened_drops_none(tmp_path: Path) -> None:
    require_call_tools()
    model = tmp_path / "model"
    shutil.copytree(shipped_dir(), model)
    relabel(model, "centre-v1")
    make_caller_audio(tmp_path, LEGIT_TEXT, "PCMU")
    loop = start_loopback(tmp_path, LATE_LEGIT, screening={"model_dir": str(model), "listen_timeout_s": 8.0})
    try:
        reloader = loop.service.model_reloader
        assert reloader is not None and reloader.state.model_id == "centre-v1"
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            running = pool.submit(loop.sipp, "uac-legit-expect-refer.xml", calls=CALLS, rate=CALLS)
            deadline = time.monotonic() + 20
            while len(loop.service.endpoint.active_calls()) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            in_progress = len(loop.service.endpoint.active_calls())
            relabel(model, "centre-v2")
            assert reloader.reload(trigger="test").model_id == "centre-v2"
            (model / WEIGHTS).write_bytes(b"half a file")  # an interrupted copy
            with pytest.raises(ModelRefusedError, match=r"weights\.npz: checksum mismatch"):
                reloader.reload(trigger="test")
            assert reloader.state.model_id == "centre-v2"
            result = running.result(timeout=120)
        assert in_progress >= 2, "the reloads did not happen while calls were being screened"
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + loop.sipp_log()
        records = loop.records(expected=CALLS)
        assert len(records) == CALLS
        assert all(r.route in (Route.AGENTS, Route.AGENTS_FLAGGED) for r in records), [r.route for r in records]
        assert all(r.end_reason == "transfer_ok" for r in records), [r.end_reason for r in records]
    finally:
        loop.service.stop(drain_timeout_s=1.0)
