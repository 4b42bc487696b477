"""The SIP UDP socket: one ``sip-rx`` thread, replies per Via, and the trunk-mode peer ACL.

pyVoIP 1.6.8 sent every reply to the one server:port given to its constructor; here every datagram is parsed on
arrival, the top Via of a request is stamped with ``received``/``rport`` (RFC 3261 §18.2.1, RFC 3581) and the
endpoint replies to the address that Via names. In trunk mode only configured peers (addresses or CIDRs) may
send requests: others get 403 (ACK excepted) and are logged; datagrams that are not SIP are counted and dropped —
there is nobody to answer. Keep-alive CRLFs are ignored.

Our own requests go over the transport their top Via names (RFC 3261 §18.1.1; the dialog chose it from the
transport the call came on): an open connection to the address first, else a new TCP connection for ``TCP`` — and
for ``TLS`` nothing at all, since we open no TLS connections and a sips dialog must not continue in the clear.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from telephony.sip.errors import SipParseError, TransportError
from telephony.sip.flood import FloodGuard, RefusalReason, RefusalSummary
from telephony.sip.headers import Transport, Via
from telephony.sip.message import SipMessage, SipRequest, make_response, parse
from telephony.sip.stream import StreamTransport

log = logging.getLogger(__name__)
Address = tuple[str, int]
RECV_BYTES = 65535
UDP_REQUEST_LIMIT = 1300  # RFC 3261 §18.1.1: a larger request goes over TCP when the path MTU is unknown
Handler = Callable[[SipMessage, Address], None]


class PeerAcl:
    """Trunk-mode allowlist of signalling sources. ``None`` peers means 'anyone' (register mode)."""

    def __init__(self, peers: Iterable[str] | None) -> None:
        self._nets = None if peers is None else [ipaddress.ip_network(p, strict=False) for p in peers]

    def allows(self, host: str) -> bool:
        if self._nets is None:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in net for net in self._nets)


def stamp_via(request: SipRequest, source: Address, *, stream: bool = False) -> SipRequest:
    """Record where the request really came from in its top Via (an unreadable Via is left for the 400).

    On a stream (``stream``) ``rport`` is always recorded: the response must go back over the connection the
    request came on (RFC 3261 §18.2.2), and the connection is known by its remote address and port.
    """
    for index, (name, value) in enumerate(request.headers.items):
        if name == "Via":
            first, _, rest = value.partition(",")
            try:
                via = Via.parse(first)
                if stream:
                    via = Via(via.transport, via.host, via.port, {**via.params, "rport": ""})
                stamped = str(via.stamped(source)) + ("," + rest if rest else "")
            except SipParseError:
                return request
            items = list(request.headers.items)
            items[index] = (name, stamped)
            return replace(request, headers=replace(request.headers, items=tuple(items)))
    return request


def sent_protocol(request: bytes) -> Transport:
    """The transport our own request's top Via names (RFC 3261 §18.1.1: the one it is to be sent over)."""
    start = request.find(b"\r\nVia: SIP/2.0/")
    name = request[start + 15 : start + 18].decode("ascii", "replace") if start >= 0 else ""
    return Transport(name) if name in Transport.__members__ else Transport.UDP


class HostCache:
    """Name → address, looked up once and kept ``ttl_s`` (failures ``negative_ttl_s``): no DNS per datagram.

    Replies go to Via hosts and in-dialog requests to Contact hosts, which may be names; resolving them on every
    send (every retransmission included) put a blocking DNS query on the ``sip-rx`` and timer threads. Address
    literals pass straight through. ``lookup`` and ``clock`` are injectable for tests.
    """

    def __init__(self, lookup: Callable[[str], str] | None = None, clock: Callable[[], float] = time.monotonic,
                 *, ttl_s: float = 300.0, negative_ttl_s: float = 30.0, max_entries: int = 1024) -> None:
        self._lookup = lookup or _getaddrinfo
        self._clock = clock
        self._ttl = ttl_s
        self._negative_ttl = negative_ttl_s
        self._max = max_entries
        self._entries: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()
        self.lookups = 0

    def resolve(self, host: str) -> str | None:
        try:
            ipaddress.ip_address(host)
            return host
        except ValueError:
            pass
        now = self._clock()
        with self._lock:
            cached = self._entries.get(host.lower())
            if cached is not None and now < cached[1]:
                return cached[0]
        self.lookups += 1
        try:
            address: str | None = self._lookup(host)
        except OSError as exc:
            log.warning("cannot resolve SIP host %s: %s (retrying in %.0f s)", host, exc, self._negative_ttl)
            address = None
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[host.lower()] = (address, now + (self._ttl if address else self._negative_ttl))
        return address


def _getaddrinfo(host: str) -> str:
    return str(socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_DGRAM)[0][4][0])


class SipObserver(Protocol):
    """Counts messages by direction ("in"/"out") and method or status, refusals and bans (Prometheus implements it)."""

    def sip_request(self, direction: str, method: str) -> None: ...

    def sip_response(self, direction: str, code: int) -> None: ...

    def sip_refused(self, reason: RefusalReason) -> None: ...

    def sip_banned(self) -> None: ...


class UdpTransport:
    def __init__(
        self, host: str, port: int, acl: PeerAcl | None = None, *, guard: FloodGuard | None = None,
        observer: SipObserver | None = None, hosts: HostCache | None = None, invite_acl: PeerAcl | None = None,
        refusal_interval_s: float = 60.0, streams: tuple[StreamTransport, ...] = (), extra_hosts: tuple[str, ...] = (),
        peer_transports: dict[str, str] | None = None,
    ) -> None:
        self._peer_transports = {host: name.upper() for host, name in (peer_transports or {}).items()}
        self._acl = acl or PeerAcl(None)
        self._invite_acl = invite_acl or PeerAcl(None)  # register mode: INVITEs only from the registrar or peers
        self.refusals = RefusalSummary(log, time.monotonic, interval_s=refusal_interval_s)
        if guard is not None and guard.on_ban is None:
            guard.on_ban = self._banned
        self.hosts = hosts or HostCache()
        self._guard = guard
        self._observer = observer
        self._sock = _bind_udp(host, port)
        self.address: Address = self._sock.getsockname()[:2]
        # More datagram sockets (an IPv6 address beside the IPv4 one), on the same port where it is free.
        self._socks = [self._sock]
        try:
            self._socks += [_bind_udp(extra, self.address[1]) for extra in extra_hosts]
        except TransportError:
            for sock in self._socks:
                sock.close()
            raise
        self.streams = streams
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.dropped = 0  # datagrams that were not SIP
        self.denied = 0  # requests from outside the ACL

    def start(self, handler: Handler) -> None:
        self._handler = handler
        for sock in self._socks:
            thread = threading.Thread(target=self._run, args=(sock, handler), name="sip-rx", daemon=True)
            self._threads.append(thread)
            thread.start()
        for stream in self.streams:
            stream.start(self._deliver_stream)

    @property
    def ipv6_host(self) -> str | None:
        """The IPv6 address SIP listens on (media for IPv6 offers is bound there too), or None."""
        return next((str(s.getsockname()[0]) for s in self._socks if s.family == socket.AF_INET6), None)

    def connected(self, address: Address) -> bool:
        """A TCP/TLS connection to ``address`` is open."""
        return any(stream.has(address) for stream in self.streams)

    def arrival(self, source: Address) -> tuple[Transport, Address]:
        """The transport a message from ``source`` came on and our address on it (for the Contact we answer with).

        A source with an open TCP/TLS connection came over it; anything else is a datagram, received on the socket
        of its address family (the IPv6 one for an IPv6 source, when there is one)."""
        for stream in self.streams:
            if stream.has(source):
                return stream.name, stream.address
        sock = next((s for s in self._socks if (s.family == socket.AF_INET6) == (":" in source[0])), self._sock)
        return Transport.UDP, sock.getsockname()[:2]

    def send(self, data: bytes, address: Address) -> None:
        """Over the connection ``address`` came from (TCP/TLS), else UDP — a request over 1300 bytes over TCP."""
        if self._observer is not None:
            if data.startswith(b"SIP/2.0 ") and data[8:11].isdigit():
                self._observer.sip_response("out", int(data[8:11]))
            else:
                self._observer.sip_request("out", data.split(b" ", 1)[0].decode("ascii", "replace"))
        for stream in self.streams:
            if stream.has(address) and stream.send(data, address):
                return
        host = self.hosts.resolve(address[0])
        if host is None:
            return  # logged by the cache, once per negative TTL
        is_request = not data.startswith(b"SIP/2.0 ")
        wanted = sent_protocol(data) if is_request else Transport.UDP
        if wanted is Transport.TLS:  # a sips dialog's request is never sent in the clear; we open no TLS ourselves
            log.warning("SIP request to %s:%s not sent: no TLS connection to it", address[0], address[1])
            return
        if is_request and (len(data) > UDP_REQUEST_LIMIT or wanted is Transport.TCP
                           or self._peer_transports.get(address[0]) == "TCP"):
            tcp = next((s for s in self.streams if s.name == "TCP"), None)
            via_tcp = data.replace(b"SIP/2.0/UDP ", b"SIP/2.0/TCP ", 1)
            if tcp is not None and tcp.send(via_tcp, (host, address[1]), self._deliver_stream):
                return
            data = data.replace(b"SIP/2.0/TCP ", b"SIP/2.0/UDP ", 1)  # fail open: over UDP, and the Via says so
        sock = next((s for s in self._socks if (s.family == socket.AF_INET6) == (":" in host)), self._sock)
        try:
            sock.sendto(data, (host, address[1]))
        except OSError as exc:  # unreachable peer: UDP has no delivery guarantee anyway
            log.warning("SIP send to %s:%s failed: %s", address[0], address[1], exc)

    def stop(self) -> None:
        self._stop.set()
        for stream in self.streams:
            stream.stop()
        for thread in self._threads:
            thread.join(timeout=2)
        for sock in self._socks:
            sock.close()
        self.refusals.close()

    def _deliver_stream(self, data: bytes, source: Address) -> None:
        """One framed message from a TCP/TLS connection: the same pipeline as a datagram."""
        if self._guard is not None and not self._guard.allow(source[0], time.monotonic()):
            self._refuse(source[0], RefusalReason.BANNED)
            return
        self._receive(data, source, self._handler, stream=True)

    def _refuse(self, source: str, reason: RefusalReason, detail: str = "") -> None:
        self.refusals.refused(source, reason.value, detail)
        if self._observer is not None:
            self._observer.sip_refused(reason)

    def _banned(self, source: str, ban_s: float) -> None:
        """Once per ban, when it starts: the datagrams dropped during it are only counted."""
        log.warning("SIP source %s banned for %.0f s: over its request rate", source, ban_s)
        if self._observer is not None:
            self._observer.sip_banned()

    def _answer_malformed(self, partial: SipRequest, reason: str, source: Address) -> None:
        """400 to a request whose Request-Line or framing is broken but whose headers say where to answer."""
        if partial.method == "ACK" or not all(h in partial.headers for h in ("Via", "CSeq", "Call-ID")):
            return
        request = stamp_via(partial, source, stream=any(s.has(source) for s in self.streams))
        try:
            address = Via.parse(request.headers.get_all("Via")[0]).response_address()
        except SipParseError:
            address = source
        text = reason.replace('"', "'").replace("\\", "")[:120]
        self.send(make_response(request, 400, extra=(("Warning", f'399 callscreen "{text}"'),)).format(), address)

    def _run(self, sock: socket.socket, handler: Handler) -> None:
        while not self._stop.is_set():
            try:
                data, source = sock.recvfrom(RECV_BYTES)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            if self._guard is not None and not self._guard.allow(source[0], time.monotonic()):
                self._refuse(source[0], RefusalReason.BANNED)
                continue  # flooding source: dropped unparsed until its ban expires
            self._receive(data, (source[0], source[1]), handler)

    def _receive(self, data: bytes, source: Address, handler: Handler, *, stream: bool = False) -> None:
        if not data.strip(b"\r\n"):
            return  # RFC 5626 keep-alive
        try:
            message = parse(data)
            if isinstance(message, SipRequest):
                message = stamp_via(message, source, stream=stream)
        except SipParseError as exc:
            self.dropped += 1
            if isinstance(exc.partial, SipRequest) and self._acl.allows(source[0]):
                self._answer_malformed(exc.partial, exc.reason, source)
            self._refuse(source[0], RefusalReason.MALFORMED, str(exc)[:80])
            return
        if self._observer is not None:
            if isinstance(message, SipRequest):
                self._observer.sip_request("in", message.method)
            else:
                self._observer.sip_response("in", message.status)
        if isinstance(message, SipRequest) and (
            not self._acl.allows(source[0]) or (message.method == "INVITE" and not self._invite_acl.allows(source[0]))
        ):
            self.denied += 1
            self._refuse(source[0], RefusalReason.NOT_A_PEER, message.method[:20])
            if message.method != "ACK":
                self.send(make_response(message, 403).format(), source)
            return
        try:
            handler(message, source)
        except Exception:  # fail-open boundary: one bad message must not kill the sip-rx thread
            log.exception("error handling SIP message from %s:%s", source[0], source[1])


def _bind_udp(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise TransportError(f"cannot bind SIP UDP {host}:{port}: {exc.strerror}") from exc
    sock.settimeout(0.5)
    return sock
