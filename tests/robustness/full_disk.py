"""A `callscreen serve` node whose log disk is full: stdout and stderr are ``/dev/full`` (ENOSPC on every write)."""

from __future__ import annotations

import subprocess
import sys

from tests.harness import ServiceProcess


class FullDiskNode(ServiceProcess):
    """A node whose log output goes to /dev/full."""

    def start(self, wait_ready: bool = True) -> ServiceProcess:
        (self.workdir / "var").mkdir(parents=True, exist_ok=True)
        with open("/dev/full", "wb") as full:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "callscreen", "serve"], cwd=self.workdir, env=self.environment(),
                stdout=full, stderr=full, stdin=subprocess.DEVNULL,
            )
        if wait_ready:
            self.wait_ready()
        return self
