"""Register mode against sipp as a digest-authenticating registrar: register, refresh state, clean unregister."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from callscreen.health import Component, Status
from callscreen.service import build_service
from telephony.sip.registration import digest_authorization
from tests.conftest import free_port, require_tool
from tests.e2e.harness import SCENARIOS, make_settings

pytestmark = [pytest.mark.sip]


def test_digest_matches_rfc_2617_example() -> None:
    challenge = {"realm": "testrealm@host.com", "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093", "qop": "auth,auth-int"}
    value = digest_authorization(challenge, "GET", "/dir/index.html", "Mufasa", "Circle Of Life", cnonce="0a4f113b")
    assert 'response="6629fae49393a05397450978507c4ef1"' in value
    assert "qop=auth" in value and "nc=00000001" in value


def _registrar(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["sipp", "-sf", str(SCENARIOS / "uas-registrar-auth-expect-register-unregister.xml"), "-i", "127.0.0.1",
         "-p", str(port), "-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error", "-trace_err"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize(("password", "registered"), [("secret", True), ("wrong", False)])
def test_register_with_digest_then_unregister(tmp_path: Path, password: str, registered: bool) -> None:
    require_tool("sipp")
    port = free_port()
    registrar = _registrar(tmp_path, port)
    settings = make_settings(tmp_path, sipp_port=port, sip={
        "mode": "register", "registrar": f"127.0.0.1:{port}", "username": "ivr", "password": password})
    service = build_service(settings)
    try:
        time.sleep(0.3)  # let sipp bind
        service.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sip = service.health.snapshot().get(Component.SIP)
            if sip is not None and ("registered at" in sip.detail or sip.status is Status.DOWN):
                break
            time.sleep(0.1)
        assert service.registration is not None
        assert service.registration.registered is registered
        sip = service.health.snapshot()[Component.SIP]
        assert (sip.status is Status.OK) is registered, sip.detail
        if not registered:
            assert "403" in sip.detail
    finally:
        service.stop(drain_timeout_s=0)
    if registered:
        out, err = registrar.communicate(timeout=30)
        assert registrar.returncode == 0, out[-2000:] + err[-2000:]
    else:
        registrar.kill()
        registrar.communicate(timeout=10)
