"""The API and page over HTTPS: served directly from certificate files, or behind a TLS-terminating proxy."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from pydantic import ValidationError

from adminapi import create_app
from callscreen.records_setup import api_server
from callscreen.settings import ApiSettings, Settings
from records import Database, Role
from records.base import utcnow
from records.users import create_user
from tests.conftest import free_port

PASSWORD = "https test pw 1"


def _certificate(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "callscreen test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp / "api.crt", tmp / "api.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


@contextmanager
def running(server: uvicorn.Server) -> Iterator[None]:
    thread = threading.Thread(target=server.run, name="https-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test API server did not start")
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'records.db'}")
    database.migrate()
    with database.session() as s:
        create_user(s, "wang", PASSWORD, Role.MANAGER, actor="test", now=utcnow())
    yield database
    database.dispose()


def _login(client: httpx.Client, **headers: str) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}, headers=headers)


def test_https_served_directly_from_the_configured_certificate(tmp_path: Path, db: Database) -> None:
    cert, key = _certificate(tmp_path)
    port = free_port()
    settings = Settings(api=ApiSettings(port=port, tls_cert=cert, tls_key=key))
    server = api_server(settings, create_app(db=db, max_upload_bytes=1 << 16, salt=b"s"))
    trust = ssl.create_default_context(cafile=str(cert))
    with running(server), httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trust) as client:
        response = _login(client)
        assert response.status_code == 200, response.text
        assert "secure" in response.headers["set-cookie"].lower()  # the session cookie never travels in clear
        assert client.get("/api/v1/me").json()["username"] == "wang"
        assert client.get("/manager/").status_code == 200
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as plain, pytest.raises(httpx.HTTPError):
            plain.get("/api/v1/me")


def test_behind_a_tls_proxy_the_cookie_is_secure_only_for_trusted_proxies(db: Database) -> None:
    port = free_port()
    app = create_app(db=db, max_upload_bytes=1 << 16, salt=b"s")
    for trusted, secure in ((["127.0.0.1"], True), (["192.0.2.1"], False)):
        server = api_server(Settings(api=ApiSettings(port=port, proxy_ips=trusted)), app)
        with running(server), httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            response = _login(client, **{"X-Forwarded-Proto": "https"})
            assert response.status_code == 200
            assert ("secure" in response.headers["set-cookie"].lower()) is secure


def test_tls_settings_come_in_pairs(tmp_path: Path) -> None:
    cert, _ = _certificate(tmp_path)
    with pytest.raises(ValidationError, match="go together"):
        ApiSettings(tls_cert=cert)
    with pytest.raises(ValidationError, match="does not exist"):
        ApiSettings(tls_cert=cert, tls_key=tmp_path / "missing.key")
