"""Reading a child process's resident memory and thread count from /proc (Linux)."""

from __future__ import annotations

from pathlib import Path


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS (kB) and Threads of ``pid``."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "Threads"}:
            out[key] = int(value.split()[0])
    return out
