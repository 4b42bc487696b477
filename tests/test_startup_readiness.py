"""Start-up readiness: a node with an ASR model says it is not ready for calls until its recogniser pool is
pre-warmed — on /readyz and to the load balancer's SIP OPTIONS probe — and still answers a call sent meanwhile.

The node is the real service (``build_service`` with the Korean Vosk model, SIP and the admin API on loopback);
the one thing the test holds is the pre-warm itself: the ``asr-prewarm`` thread's recogniser is built only when
the test lets it, so "still warming" is a state the test is in, not a race it hopes to win.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from asr.engine import AsrEngine
from asr.errors import ModelCorruptError
from asr.model import SharedModel
from callscreen.health import Component, ServiceHealth, Status
from callscreen.service import Service, build_service, report_prewarmed
from records.models import ScreenedCall
from records.repository_calls import CallFilter, query_calls
from telephony.sip.message import SipResponse, parse
from tests.conftest import free_port
from tests.e2e.harness import make_settings
from tests.telephony.test_endpoint import SDP, Peer

WAIT_S = 30.0


def _readyz(port: int) -> tuple[int, dict[str, Any]] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return response.status, dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        return exc.code, dict(json.loads(exc.read()))
    except (urllib.error.URLError, OSError):
        return None  # the API thread is not listening yet


def _wait_readyz(port: int, status: int) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        answer = _readyz(port)
        if answer is not None and answer[0] == status:
            return answer[1]
        time.sleep(0.1)
    raise AssertionError(f"/readyz never answered {status}: last {_readyz(port)}")


def _final(peer: Peer, method: str) -> SipResponse:
    """The final response to ``method`` (provisional ones and the node's own requests are passed over)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        message = parse(peer.sock.recv(65535))
        if (isinstance(message, SipResponse) and message.status >= 200
                and (message.headers.get("CSeq") or "").endswith(method)):  # fmt: skip
            return message
    raise AssertionError(f"no final response to {method}")


def _records(service: Service) -> list[ScreenedCall]:
    """The call records once the early call's flow has written its own (it ends on its thread after the BYE)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        with service.db.session() as session:
            rows, _ = query_calls(session, CallFilter(), limit=10)
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


@pytest.fixture
def held_prewarm(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The pre-warm builds its recognisers once the event is set; a call's own recogniser is never held."""
    release = threading.Event()
    build = SharedModel.new_recognizer

    def new_recognizer(self: SharedModel, sample_rate: int) -> Any:
        if threading.current_thread().name == "asr-prewarm":
            release.wait(WAIT_S)
        return build(self, sample_rate)

    monkeypatch.setattr(SharedModel, "new_recognizer", new_recognizer)
    yield release
    release.set()


@pytest.fixture
def node(tmp_path: Path, korean_model_path: Path) -> Iterator[tuple[Service, int]]:
    api_port = free_port()
    settings = make_settings(tmp_path, sipp_port=free_port(), api={"enabled": True, "port": api_port},
                             asr={"model_path": str(korean_model_path), "max_streams": 2})  # fmt: skip
    service = build_service(settings)
    service.start()
    try:
        yield service, api_port
    finally:
        service.stop(drain_timeout_s=0)


def test_not_ready_while_the_recogniser_pool_warms_and_a_call_is_still_answered(
    held_prewarm: threading.Event, node: tuple[Service, int]
) -> None:
    service, api_port = node
    body = _wait_readyz(api_port, 503)
    assert body["ready"] is False and body["mode"] == "full screening", body
    assert body["components"]["asr_pool"]["status"] == "down"
    assert any(p.startswith("asr_pool: pre-warming 2 ASR recogniser(s): not ready for calls") for p in body["problems"])

    probe = Peer(("127.0.0.1", service.endpoint.local.port))
    try:
        probe.send("OPTIONS")  # what Kamailio's dispatcher sends every DS_PING_S
        (refused,) = probe.expect(503)
        assert isinstance(refused, SipResponse) and "pre-warming" in (refused.headers.get("Warning") or "")

        caller = Peer(("127.0.0.1", service.endpoint.local.port))
        try:  # a call sent anyway (by a load balancer that had not probed yet): answered, not refused
            caller.send("INVITE", call_id="early-call", body=SDP.format(port=free_port()))
            answer = _final(caller, "INVITE")
            assert answer.status == 200, answer.status
            tag = (answer.headers.get("To") or "").split("tag=")[1]
            caller.send("ACK", call_id="early-call", branch="z9hG4bK-ack", to_tag=tag)
            caller.send("BYE", call_id="early-call", branch="z9hG4bK-bye", cseq=2, to_tag=tag)
            assert _final(caller, "BYE").status == 200
        finally:
            caller.sock.close()
        assert [(r.call_id, r.end_reason) for r in _records(service)] == [("early-call", "caller_bye")]

        held_prewarm.set()
        body = _wait_readyz(api_port, 200)
        pool = body["components"]["asr_pool"]  # 1 or 2 pre-warmed: the early call gave its recogniser back
        assert body["ready"] is True and pool["status"] == "ok" and pool["detail"].startswith("warm: "), body
        assert not any(p.startswith("asr_pool") for p in body["problems"])
        probe.send("OPTIONS", call_id="t2", branch="z9hG4bK-2")
        probe.expect(200)
    finally:
        probe.sock.close()


class _NoRecogniser:
    """A model on which Vosk cannot build a recogniser (it raises, as for a damaged model directory)."""

    path = Path("/models/damaged")

    def new_recognizer(self, sample_rate: int) -> Any:
        raise ModelCorruptError(f"Vosk could not create a recogniser on the model at {self.path}")


def test_a_failed_prewarm_does_not_keep_the_node_unready() -> None:
    """The pool is an optimisation: when pre-warming fails the node is ready (degraded, saying why) and its calls
    build their own recognisers — it never waits for a pool that will not warm."""
    health = ServiceHealth("node1")
    health.report(Component.SIP, Status.OK, "udp 127.0.0.1:5060")
    health.report(Component.ASR_POOL, Status.DOWN, "pre-warming 2 ASR recogniser(s)")
    assert health.unready_reason() == "asr_pool: pre-warming 2 ASR recogniser(s)"
    reported = threading.Event()

    def on_prewarmed(warmed: int, failed: bool) -> None:
        report_prewarmed(health, warmed, failed)
        reported.set()

    with AsrEngine(cast(SharedModel, _NoRecogniser()), workers=1, queue_frames=10, endpoint_silence_ms=600,
                   max_streams=2, prewarm=2, on_prewarmed=on_prewarmed):  # fmt: skip
        assert reported.wait(WAIT_S)
    ready, overall, problems = health.readiness()
    assert ready and overall is Status.DEGRADED and health.unready_reason() is None
    assert problems == ["asr_pool: pre-warming failed after 0 ASR recogniser(s) (see the log): calls build their own"]
