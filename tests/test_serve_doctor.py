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


def test_serve_and_doctor_say_loudly_that_the_korean_model_is_not_mandarin(
    tmp_path: Path, korean_model_path: Path
) -> None:
    service = ServiceProcess(tmp_path, env={"VOSK_MODEL_PATH": str(korean_model_path)})
    try:
        service.start()
        ready = service.readyz()
        assert ready is not None and ready["ready"] is True and ready["status"] == "degraded"
        language = ready["components"]["asr_language"]
        assert language["status"] == "degraded"
        detail = str(language["detail"])
        assert "not a Mandarin model" in detail and "every caller would look off-topic" in detail
        assert any("not a Mandarin model" in str(p) for p in ready["problems"])
        warning = [line for line in service.log_path.read_text().splitlines() if "not a Mandarin model" in line]
        assert warning and "WARNING" in warning[0]
        doctor = service.cli("doctor", "--no-load")
        row = next(line for line in doctor.stdout.splitlines() if line.startswith("model language"))
        assert "WARN" in row and "every caller would look off-topic" in row
    finally:
        service.stop()


def test_sighup_rereads_the_settings_and_swaps_profiles_or_keeps_them(tmp_path: Path) -> None:
    """`systemctl reload`: a new hotline profile is taken up; a broken settings file leaves the running ones."""
    import signal
    import time

    config = tmp_path / "callscreen.toml"
    config.write_text("")
    service = ServiceProcess(tmp_path, env={"CALLSCREEN_CONFIG": str(config)})

    def logged(text: str, timeout_s: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in service.log_path.read_text(errors="replace"):
                return True
            time.sleep(0.2)
        return False

    try:
        service.start()
        assert service.process is not None
        config.write_text('[profiles.complaints]\nnumbers = ["8008005678", "4008001234"]\n')
        service.process.send_signal(signal.SIGHUP)
        assert logged("profiles reloaded: 2 hotline number(s) in 1 profile(s)"), service.log_tail()
        config.write_text("[profiles.complaints\n")  # a typo: not TOML
        service.process.send_signal(signal.SIGHUP)
        assert logged("settings NOT reloaded"), service.log_tail()
        ready = service.readyz()
        assert ready is not None and ready["ready"] is True  # still serving, with the profiles it had
    finally:
        assert service.stop() == 0
