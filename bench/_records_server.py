"""Helpers for the records benches: a throwaway database and ``python -m adminapi`` in its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from records import Database
from tests.adminapi.live_server import wait_serving
from tests.records.db_backends import schema_database

STARTUP_TIMEOUT_S = 30


@contextmanager
def database(url: str | None) -> Iterator[Database]:
    """A migrated SQLite file in a temporary directory, or a throwaway schema on the PostgreSQL at ``url``."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
            db.migrate()
            yield db
            db.dispose()
        return
    with schema_database(url) as db:
        yield db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def api_server(db: Database, *, max_upload_bytes: int = 50 * 1024 * 1024) -> Iterator[str]:
    """The admin API on a free loopback port, in its own process; yields its base URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "adminapi",
        "--database-url",
        db.url.render_as_string(hide_password=False),
        "--port",
        str(port),
        "--max-upload-bytes",
        str(max_upload_bytes),
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_serving(url, server, STARTUP_TIMEOUT_S)
        yield url
    finally:
        server.terminate()
        server.wait(10)
