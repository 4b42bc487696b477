"""Foundation acceptance: the README's run command starts a service without a Mandarin model (caller-ID/time
mode) that `callscreen doctor`, in another shell, reports as running and names what is degraded."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from screening.learned.model import shipped_dir
from tests.e2e.test_model_reload import relabel
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
    assert "asr_pool" not in ready["components"]  # no model, no pool: readiness never waits for one

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


def test_serve_exits_with_a_clear_error_when_the_api_port_is_taken(tmp_path: Path) -> None:
    """A node whose admin API cannot listen must not take calls unmanaged behind a health page saying OK."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        node = ServiceProcess(tmp_path, api_port=holder.getsockname()[1])
        try:
            node.start(wait_ready=False)
            assert node.process is not None
            assert node.process.wait(timeout=120) == 1
        finally:
            node.kill()  # never outlives the test, whatever it found
    log = node.log_path.read_text()
    assert f"the admin API cannot listen on 127.0.0.1:{node.api_port}" in log
    assert "callscreen serving" not in log  # no call was taken


def test_serve_and_doctor_say_loudly_that_the_korean_model_is_not_mandarin(
    tmp_path: Path, korean_model_path: Path
) -> None:
    service = ServiceProcess(tmp_path, env={"VOSK_MODEL_PATH": str(korean_model_path)})
    try:
        service.start()
        ready = service.readyz()
        assert ready is not None and ready["ready"] is True and ready["status"] == "degraded"
        assert ready["components"]["asr_pool"]["status"] == "ok"  # ready only once the recogniser pool is warm
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


def _content_model(service: ServiceProcess) -> dict[str, str]:
    ready = service.readyz()
    assert ready is not None
    return dict(ready["components"]["content_model"])


def _wait_for(service: ServiceProcess, text: str, timeout_s: float = 30.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        part = _content_model(service)
        if text in part["detail"]:
            return part
        time.sleep(0.2)
    raise AssertionError(f"content_model never said {text!r}: {_content_model(service)}")


def test_sighup_reloads_the_model_and_a_damaged_directory_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(shipped_dir(), model)
    relabel(model, "centre-v1")
    service = ServiceProcess(tmp_path, env={"CALLSCREEN_SCREENING_MODEL_DIR": str(model)})
    try:
        service.start()
        assert _content_model(service) == {"status": "ok", "detail": "model centre-v1"}
        assert service.process is not None
        relabel(model, "centre-v2")
        service.process.send_signal(signal.SIGHUP)
        assert _wait_for(service, "model centre-v2")["status"] == "ok"
        (model / "SHA256SUMS").unlink()  # an incomplete copy
        service.process.send_signal(signal.SIGHUP)
        refused = _wait_for(service, "refused")
        assert refused["status"] == "degraded"
        assert "still screening with centre-v2" in refused["detail"] and "SHA256SUMS" in refused["detail"]
        assert service.process.poll() is None  # still serving
        log = service.log_path.read_text()
        assert "content model reloaded (SIGHUP): centre-v2" in log and "REFUSED, still screening with centre-v2" in log

        # the same through the admin API, with a key an operator creates in a second shell
        key = service.cli("keys", "create", "--role", "admin", "--label", "ops").stdout.strip()
        code, body = _post(f"{service.api}/api/v1/admin/model/reload", key)
        assert code == 422 and "SHA256SUMS" in str(body["detail"]), body
        relabel(model, "centre-v3")  # the operator finishes copying: checksums written again
        code, body = _post(f"{service.api}/api/v1/admin/model/reload", key)
        assert code == 200 and body["model_id"] == "centre-v3", body
        assert _content_model(service) == {"status": "ok", "detail": "model centre-v3"}
    finally:
        service.stop()


def _post(url: str, key: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, method="POST", headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        return exc.code, dict(json.loads(exc.read()))
