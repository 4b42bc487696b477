"""SIP over TCP and TLS (RFC 3261 §18): Content-Length framing, connection reuse, idle timeouts, per-source limits.

RFC 3261 §18 makes TCP mandatory for every element, and carriers and hosted PBXs increasingly insist on TLS
(``sips:``) between sites. One listening socket per transport; each accepted connection gets a reader thread that
cuts the byte stream into messages by ``Content-Length`` (mandatory on streams, §18.3; CRLF keep-alives between
messages are skipped, RFC 5626 §3.5.1) and hands each to the same pipeline as a UDP datagram. Connections are
kept by the remote address, so responses and in-dialog requests reuse the connection the request came on
(§18.2.2); a request to an address with no connection opens one (TCP; TLS only reuses). A connection idle for
``idle_timeout_s`` is closed, a source may hold at most ``max_per_source`` connections, the whole transport at most
``max_connections`` — a scanner cannot pin threads and descriptors. TLS: the server certificate comes from files
(the composition root builds the :class:`ssl.SSLContext`); client certificates are verified when it asks for them.
"""

from __future__ import annotations

import contextlib
import logging
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

from telephony.sip.errors import TransportError
from telephony.sip.headers import Transport

log = logging.getLogger(__name__)
Address = tuple[str, int]
Deliver = Callable[[bytes, Address], None]
MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024
WAIT_SLICE_S = 0.5  # a TLS reader or writer waiting on select() looks up this often (stop, deadlines)
SEND_TIMEOUT_S = 5.0  # a TLS peer that takes nothing for this long is dropped, as a full TCP buffer would be
_CONTENT_LENGTH = re.compile(rb"^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)


class FramingError(Exception):
    """The stream is not SIP any more (no way to find the next message): the connection is closed."""


def frame(buffer: bytearray) -> bytes | None:
    """Cut one message off the front of ``buffer``; ``None`` while it is incomplete."""
    while buffer[:2] == b"\r\n":
        del buffer[:2]  # keep-alive CRLFs between messages
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEAD_BYTES:
            raise FramingError(f"no end of headers in {len(buffer)} bytes")
        return None
    head = bytes(buffer[:end])
    lengths = {int(value) for value in _CONTENT_LENGTH.findall(head)}
    if len(lengths) > 1:
        raise FramingError("conflicting Content-Length values on a stream")
    length = lengths.pop() if lengths else 0  # mandatory on streams (§18.3); absent means no body
    if length > MAX_BODY_BYTES:
        raise FramingError(f"Content-Length {length} over {MAX_BODY_BYTES}")
    total = end + 4 + length
    if len(buffer) < total:
        return None
    message = bytes(buffer[:total])
    del buffer[:total]
    return message


class _Connection:
    """A TCP connection: the kernel lets one thread read while another writes, so only writes share a lock."""

    def __init__(self, sock: socket.socket, remote: Address) -> None:
        self.sock = sock
        self.remote = remote
        self.lock = threading.Lock()
        self._idle = 0.0

    def prepare(self, idle_timeout_s: float) -> None:
        self._idle = idle_timeout_s
        self.sock.settimeout(idle_timeout_s)

    def receive(self) -> bytes:
        """The next bytes; ``b""`` when the peer closed; :class:`TimeoutError` after the idle timeout."""
        return self.sock.recv(65536)

    def send(self, data: bytes) -> None:
        with self.lock:
            self.sock.sendall(data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class _TlsConnection(_Connection):
    """OpenSSL forbids using one SSL object from two threads at once, and Python's ssl module does not lock it: a
    response written while the reader sat in ``recv()`` could break the session (seen in CI as the peer dropping
    the connection right after 180 Ringing). So every read and write holds the connection's lock, on a
    non-blocking socket, and the reader waits for bytes with ``select()`` outside the lock."""

    def prepare(self, idle_timeout_s: float) -> None:
        self._idle = idle_timeout_s
        self.sock.setblocking(False)

    def receive(self) -> bytes:
        deadline = time.monotonic() + self._idle
        while True:
            # try first: OpenSSL may hold decrypted bytes select() cannot see
            with self.lock, contextlib.suppress(ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return self.sock.recv(65536)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("idle")
            select.select([self.sock], [], [], min(remaining, WAIT_SLICE_S))  # a slice: stop() closes the socket

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + SEND_TIMEOUT_S
        while view:
            with self.lock:
                try:
                    view = view[self.sock.send(view):]
                    continue
                except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"TLS send to {self.remote[0]}:{self.remote[1]} stalled")
            select.select([], [self.sock], [], WAIT_SLICE_S)


def tcp_listener(host: str, port: int, backlog: int = 64) -> socket.socket:
    """A listening TCP socket on ``host`` (IPv6 when it has a colon), with SO_REUSEADDR so a restarted node can
    take its port back at once; nothing is left open when binding fails (the OSError is the caller's to word)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


class StreamTransport:
    """A TCP (or, with ``tls``, TLS) SIP listener and its connections, keyed by remote address."""

    def __init__(
        self, host: str, port: int, *, tls: ssl.SSLContext | None = None, idle_timeout_s: float = 300.0,
        max_per_source: int = 16, max_connections: int = 512, handshake_timeout_s: float = 5.0,
    ) -> None:
        self.name = Transport.TLS if tls is not None else Transport.TCP
        self._tls = tls
        self._idle = idle_timeout_s
        self._max_per_source = max_per_source
        self._max_connections = max_connections
        self._handshake_timeout = handshake_timeout_s
        try:
            self._listener = tcp_listener(host, port)
        except OSError as exc:
            raise TransportError(f"cannot bind SIP {self.name} {host}:{port}: {exc.strerror}") from exc
        self._listener.settimeout(0.5)
        self.address: Address = self._listener.getsockname()[:2]
        self._connections: dict[Address, _Connection] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.refused_connections = 0

    # --- lifecycle ------------------------------------------------------------------------------------------
    def start(self, deliver: Deliver) -> None:
        thread = threading.Thread(target=self._accept, args=(deliver,), name=f"sip-{self.name.lower()}-accept",
                                  daemon=True)
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        for connection in connections:
            connection.close()
        for thread in self._threads:
            thread.join(timeout=2)

    # --- sending --------------------------------------------------------------------------------------------
    def has(self, address: Address) -> bool:
        with self._lock:
            return address in self._connections

    def connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def send(self, data: bytes, address: Address, deliver: Deliver | None = None) -> bool:
        """Send over the connection to ``address``; open one (TCP only) when there is none and ``deliver`` is
        given for its answers. False when the message could not be sent."""
        with self._lock:
            connection = self._connections.get(address)
        if connection is None:
            if self._tls is not None or deliver is None:
                return False
            connection = self._connect(address, deliver)
            if connection is None:
                return False
        try:
            connection.send(data)
            return True
        except OSError as exc:
            log.info("SIP %s send to %s:%s failed: %s", self.name, address[0], address[1], exc)
            self._forget(connection)
            return False

    def _connect(self, address: Address, deliver: Deliver) -> _Connection | None:
        try:
            sock = socket.create_connection(address, timeout=self._handshake_timeout)
        except OSError as exc:
            log.warning("SIP %s connect to %s:%s failed: %s", self.name, address[0], address[1], exc)
            return None
        connection = _Connection(sock, address)
        self._adopt(connection, deliver)
        return connection

    # --- receiving ------------------------------------------------------------------------------------------
    def _accept(self, deliver: Deliver) -> None:
        while not self._stop.is_set():
            try:
                sock, remote = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            address: Address = (remote[0], remote[1])
            with self._lock:
                total = len(self._connections)
                from_source = sum(1 for a in self._connections if a[0] == address[0])
            if total >= self._max_connections or from_source >= self._max_per_source:
                self.refused_connections += 1
                sock.close()
                continue
            threading.Thread(target=self._serve, args=(sock, address, deliver), name=f"sip-{self.name.lower()}",
                             daemon=True).start()

    def _serve(self, sock: socket.socket, address: Address, deliver: Deliver) -> None:
        if self._tls is not None:
            try:
                sock.settimeout(self._handshake_timeout)
                sock = self._tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError) as exc:
                log.info("SIP TLS handshake with %s:%s failed: %s", address[0], address[1], exc)
                sock.close()
                return
        connection = _Connection(sock, address) if self._tls is None else _TlsConnection(sock, address)
        with self._lock:
            self._connections[address] = connection
        self._read(connection, deliver)

    def _adopt(self, connection: _Connection, deliver: Deliver) -> None:
        with self._lock:
            self._connections[connection.remote] = connection
        threading.Thread(target=self._read, args=(connection, deliver), name=f"sip-{self.name.lower()}-out",
                         daemon=True).start()

    def _read(self, connection: _Connection, deliver: Deliver) -> None:
        buffer = bytearray()
        try:
            # Inside the try: stop() may close the socket before this thread first runs (seen under load).
            connection.prepare(self._idle)
            while not self._stop.is_set():
                try:
                    chunk = connection.receive()
                except TimeoutError:
                    log.info("SIP %s connection from %s:%s idle for %.0f s: closed", self.name,
                             connection.remote[0], connection.remote[1], self._idle)
                    return
                if not chunk:
                    return
                buffer += chunk
                while (message := frame(buffer)) is not None:
                    if message.strip(b"\r\n"):
                        deliver(message, connection.remote)
        except FramingError as exc:
            log.info("SIP %s connection from %s:%s closed: %s", self.name, connection.remote[0],
                     connection.remote[1], exc)
        except OSError:
            return
        finally:
            self._forget(connection)

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            if self._connections.get(connection.remote) is connection:
                del self._connections[connection.remote]
        connection.close()


def server_context(cert_file: str, key_file: str, client_ca_file: str | None = None) -> ssl.SSLContext:
    """TLS server context from PEM files; with ``client_ca_file`` clients must present a certificate it signed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca_file)
    return context
