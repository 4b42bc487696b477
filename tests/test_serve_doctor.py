"""Foundation acceptance: the README's run command starts a service without a Mandarin model (caller-ID/time
mode) that `callscreen doctor`, in another shell, reports as running and names what is degraded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import ServiceProcess


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ServiceProcess]:
    service = ServiceProcess(tmp_path)
    try:
        yield service.start()
    finally:
        service.stop()


def test_serve_without_model_runs_in_caller_id_mode_and_doctor_sees_it(node: ServiceProcess) -> None:
    ready = node.readyz()
    assert ready is not None and ready["ready"] is True
    assert ready["status"] == "degraded"
    assert "caller-ID/time" in str(ready["mode"])

    doctor = node.cli("doctor", "--no-load")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    service_line = next(line for line in doctor.stdout.splitlines() if line.startswith("service"))
    assert "running" in service_line and "caller-ID/time" in service_line
    assert any(line.strip().startswith("degraded") and "model" in line for line in doctor.stdout.splitlines())

    log = node.log_path.read_text()
    assert "caller-ID/time" in log  # said loudly at start-up too
    assert log.count("number lists loaded") == 1  # one full load at start (with 10^6 entries it takes seconds)


def test_sigterm_stops_the_service_cleanly(node: ServiceProcess) -> None:
    assert node.stop() == 0
