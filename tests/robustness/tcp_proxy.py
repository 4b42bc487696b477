"""A TCP proxy on loopback that can cut or stall a real server (PostgreSQL) on demand — fault injection.

``PASS`` forwards bytes both ways; ``STALL`` keeps connections open but forwards nothing (a hung database);
``DOWN`` closes every connection and refuses new ones (a killed database). Switching back to ``PASS`` is the fault
clearing: the server behind was never touched.
"""

from __future__ import annotations

import contextlib
import enum
import select
import socket
import threading


class Mode(enum.Enum):
    PASS = "pass"
    STALL = "stall"
    DOWN = "down"


class TcpProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = Mode.PASS
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, name="proxy-accept", daemon=True),
                         threading.Thread(target=self._pump, name="proxy-pump", daemon=True)]
        for thread in self._threads:
            thread.start()

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode is Mode.DOWN:
            with self._lock:
                pairs, self._pairs = self._pairs, []
            for a, b in pairs:
                for s in (a, b):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.mode is Mode.DOWN:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, server))

    def _pump(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                pairs = list(self._pairs)
            if not pairs or self.mode is not Mode.PASS:
                self._stop.wait(0.02)
                continue
            peer = {}
            for a, b in pairs:
                peer[a], peer[b] = b, a
            try:
                readable, _, _ = select.select(list(peer), [], [], 0.05)
            except (OSError, ValueError):
                continue
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self._drop(sock, peer[sock])
                    continue
                try:
                    peer[sock].sendall(data)
                except OSError:
                    self._drop(sock, peer[sock])

    def _drop(self, a: socket.socket, b: socket.socket) -> None:
        with self._lock:
            self._pairs = [p for p in self._pairs if a not in p]
        for s in (a, b):
            s.close()

    def close(self) -> None:
        self._stop.set()
        self.set_mode(Mode.DOWN)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)
