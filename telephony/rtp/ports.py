"""A bounded pool of even RTP ports, so signalling can write a port into its SDP answer before media starts.

Even ports by convention (RFC 3550 §11: RTP even, RTCP the odd one above; we send no RTCP but leave it free).
Ports are handed out round-robin, so a port just released is not reused at once while stray packets of the
previous call may still arrive. With ``host`` given, ``acquire`` skips ports another process has bound.
"""

from __future__ import annotations

import socket
import threading

from telephony.rtp.errors import PortPoolExhaustedError


class RtpPortPool:
    def __init__(self, low: int, high: int, *, host: str | None = None) -> None:
        first = low + (low % 2)
        if not 0 < low <= high <= 65535 or first > high:
            raise ValueError(f"RTP port range {low}-{high} holds no even port in 1..65535")
        self._ports = list(range(first, high + 1, 2))
        self._in_use: set[int] = set()
        self._cursor = 0
        self._host = host
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self._ports)

    @property
    def in_use(self) -> int:
        with self._lock:
            return len(self._in_use)

    def acquire(self) -> int:
        with self._lock:
            for _ in range(len(self._ports)):
                port = self._ports[self._cursor]
                self._cursor = (self._cursor + 1) % len(self._ports)
                if port not in self._in_use and self._bindable(port):
                    self._in_use.add(port)
                    return port
        raise PortPoolExhaustedError(
            f"no free even RTP port in {self._ports[0]}-{self._ports[-1]} ({len(self._ports)} ports)"
        )

    def release(self, port: int) -> None:
        with self._lock:
            self._in_use.discard(port)

    def _bindable(self, port: int) -> bool:
        if self._host is None:
            return True
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((self._host, port))
            except OSError:
                return False
        return True
