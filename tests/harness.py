"""Run `callscreen serve` as a real process, the way an operator does, for tests that need a whole node.

Each node gets its own data directory, free SIP/API/RTP ports and a log file; it is stopped with SIGTERM (or
killed with SIGKILL when a test wants a crash) and never outlives the test.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import DAYTIME_HOUR, clock_offset_to, free_port

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
START_ATTEMPTS = 3
PORT_TAKEN = "ress already in use"  # strerror of EADDRINUSE, as `serve` logs it ("Address"/"address")


@dataclass
class ServiceProcess:
    """One `callscreen serve` child process."""

    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    name: str = "node1"
    sip_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=lambda: free_port())
    rtp_base: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def environment(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCREEN_") and k != "VOSK_MODEL_PATH"}
        rtp_min = self.rtp_base or 20000 + (self.sip_port % 200) * 100
        base.update({
            "CALLSCREEN_NODE_NAME": self.name,
            "CALLSCREEN_DATA_DIR": str(self.workdir / "var"),
            "CALLSCREEN_DATABASE_URL": f"sqlite:///{self.workdir / 'var' / 'callscreen.db'}",
            "CALLSCREEN_ASR_MODEL_DIR": str(self.workdir / "var" / "models"),
            "CALLSCREEN_SIP_PORT": str(self.sip_port),
            "CALLSCREEN_API_PORT": str(self.api_port),
            "CALLSCREEN_RTP_PORT_MIN": str(rtp_min),
            "CALLSCREEN_RTP_PORT_MAX": str(rtp_min + 98),
            "CALLSCREEN_CLOCK_OFFSET_S": str(clock_offset_to(DAYTIME_HOUR)),  # never the machine's time of day
        })
        base.update(self.env)
        return base

    def start(self, wait_ready: bool = True) -> ServiceProcess:
        """Start the node; if a port chosen by :func:`free_port` was taken by someone else in the meantime (the
        suite runs four workers), the node says so and exits, and it is started again on fresh ports."""
        for attempt in range(START_ATTEMPTS):
            offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            self._spawn()
            if not wait_ready:
                return self
            try:
                self.wait_ready()
                return self
            except RuntimeError:
                this_run = self.log_path.read_bytes()[offset:].decode(errors="replace")
                if attempt + 1 == START_ATTEMPTS or PORT_TAKEN not in this_run:
                    raise
                self.sip_port, self.api_port = free_port(), free_port()
        return self

    def _spawn(self) -> None:
        (self.workdir / "var").mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "callscreen", "serve"],
            cwd=self.workdir, env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()

    def readyz(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"{self.api}/readyz", timeout=2) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            return dict(json.loads(exc.read()))
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
            return None  # not listening yet, or the server is still starting (e.g. BadStatusLine)

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> dict[str, Any]:  # JSON
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}:\n{self.log_tail()}")
            body = self.readyz()
            if body is not None and body.get("ready"):
                return body
            time.sleep(0.2)
        raise TimeoutError(f"serve not ready after {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not stop in time. Returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise

    def kill(self) -> None:
        """SIGKILL: a crash, as far as the node can tell."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run another `callscreen` command against this node's settings (as an operator's second shell)."""
        return subprocess.run(
            [sys.executable, "-m", "callscreen", *args], cwd=self.workdir, env=self.environment(),
            capture_output=True, text=True, timeout=timeout, check=False,
        )
