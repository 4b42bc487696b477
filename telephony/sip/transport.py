"""The SIP UDP socket: one ``sip-rx`` thread, replies per Via, and the trunk-mode peer ACL.

pyVoIP 1.6.8 sent every reply to the one server:port given to its constructor; here every datagram is parsed on
arrival, the top Via of a request is stamped with ``received``/``rport`` (RFC 3261 §18.2.1, RFC 3581) and the
endpoint replies to the address that Via names. In trunk mode only configured peers (addresses or CIDRs) may
send requests: others get 403 (ACK excepted) and are logged; datagrams that are not SIP are counted and dropped —
there is nobody to answer. Keep-alive CRLFs are ignored.
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
from telephony.sip.flood import FloodGuard
from telephony.sip.headers import Via
from telephony.sip.message import SipMessage, SipRequest, make_response, parse

log = logging.getLogger(__name__)
Address = tuple[str, int]
RECV_BYTES = 65535
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


def stamp_via(request: SipRequest, source: Address) -> SipRequest:
    """Record where the request really came from in its top Via (an unreadable Via is left for the 400)."""
    for index, (name, value) in enumerate(request.headers.items):
        if name == "Via":
            first, _, rest = value.partition(",")
            try:
                stamped = str(Via.parse(first).stamped(source)) + ("," + rest if rest else "")
            except SipParseError:
                return request
            items = list(request.headers.items)
            items[index] = (name, stamped)
            return replace(request, headers=replace(request.headers, items=tuple(items)))
    return request


class SipObserver(Protocol):
    """Counts messages by direction ("in"/"out") and method or status (the Prometheus metrics implement it)."""

    def sip_request(self, direction: str, method: str) -> None: ...

    def sip_response(self, direction: str, code: int) -> None: ...


class UdpTransport:
    def __init__(
        self, host: str, port: int, acl: PeerAcl | None = None, *, guard: FloodGuard | None = None,
        observer: SipObserver | None = None,
    ) -> None:
        self._acl = acl or PeerAcl(None)
        self._guard = guard
        self._observer = observer
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            raise TransportError(f"cannot bind SIP UDP {host}:{port}: {exc.strerror}") from exc
        self._sock.settimeout(0.5)
        self.address: Address = self._sock.getsockname()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.dropped = 0  # datagrams that were not SIP
        self.denied = 0  # requests from outside the ACL

    def start(self, handler: Handler) -> None:
        self._thread = threading.Thread(target=self._run, args=(handler,), name="sip-rx", daemon=True)
        self._thread.start()

    def send(self, data: bytes, address: Address) -> None:
        if self._observer is not None:
            if data.startswith(b"SIP/2.0 ") and data[8:11].isdigit():
                self._observer.sip_response("out", int(data[8:11]))
            else:
                self._observer.sip_request("out", data.split(b" ", 1)[0].decode("ascii", "replace"))
        try:
            self._sock.sendto(data, address)
        except OSError as exc:  # unreachable peer: UDP has no delivery guarantee anyway
            log.warning("SIP send to %s:%s failed: %s", address[0], address[1], exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._sock.close()

    def _answer_malformed(self, partial: SipRequest, reason: str, source: Address) -> None:
        """400 to a request whose Request-Line or framing is broken but whose headers say where to answer."""
        if partial.method == "ACK" or not all(h in partial.headers for h in ("Via", "CSeq", "Call-ID")):
            return
        request = stamp_via(partial, source)
        try:
            address = Via.parse(request.headers.get_all("Via")[0]).response_address()
        except SipParseError:
            address = source
        text = reason.replace('"', "'").replace("\\", "")[:120]
        self.send(make_response(request, 400, extra=(("Warning", f'399 callscreen "{text}"'),)).format(), address)

    def _run(self, handler: Handler) -> None:
        while not self._stop.is_set():
            try:
                data, source = self._sock.recvfrom(RECV_BYTES)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            if self._guard is not None and not self._guard.allow(source[0], time.monotonic()):
                continue  # flooding source: dropped unparsed until its ban expires
            self._receive(data, (source[0], source[1]), handler)

    def _receive(self, data: bytes, source: Address, handler: Handler) -> None:
        if not data.strip(b"\r\n"):
            return  # RFC 5626 keep-alive
        try:
            message = parse(data)
            if isinstance(message, SipRequest):
                message = stamp_via(message, source)
        except SipParseError as exc:
            self.dropped += 1
            if isinstance(exc.partial, SipRequest) and self._acl.allows(source[0]):
                self._answer_malformed(exc.partial, exc.reason, source)
            log.info("dropped malformed SIP datagram from %s:%s: %s", source[0], source[1], exc)
            return
        if self._observer is not None:
            if isinstance(message, SipRequest):
                self._observer.sip_request("in", message.method)
            else:
                self._observer.sip_response("in", message.status)
        if isinstance(message, SipRequest) and not self._acl.allows(source[0]):
            self.denied += 1
            log.warning("%s from %s:%s refused: not a configured peer", message.method, source[0], source[1])
            if message.method != "ACK":
                self.send(make_response(message, 403).format(), source)
            return
        try:
            handler(message, source)
        except Exception:  # fail-open boundary: one bad message must not kill the sip-rx thread
            log.exception("error handling SIP message from %s:%s", source[0], source[1])
