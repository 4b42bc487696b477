"""A real uvicorn server on 127.0.0.1 in a thread: the API is tested over HTTP the way the PBX and browsers use it."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from tests.conftest import free_port

STARTUP_TIMEOUT_S = 10.0


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` until the block ends; yields the base URL."""
    port = free_port(socket.SOCK_STREAM)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", http="h11", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test API server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT_S)


def wait_serving(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Wait until the API process at ``url`` answers its page; RuntimeError when it exits or the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(f"{url}/manager/", timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"API server at {url} did not start") from None
            time.sleep(0.1)
