"""Our Contact and Via name the transport a dialog arrived on, checked against the RFC text, on a live endpoint.

A far end sends its in-dialog requests (BYE, re-INVITE, NOTIFY) to our Contact and chooses the transport from
that URI alone (RFC 3263 §4.1, quoted in :func:`rfc3263_transport`). A Contact of ``sip:callscreen@host:port``
after an INVITE that came over TCP therefore brings the caller's BYE back over UDP — the defect this file pins.
Each case places a call over one transport (UDP, TCP and TLS over IPv4; UDP and TCP over IPv6), reads our 200 OK,
ACKs, lets the node hang up, and reads its BYE on the same wire. Then the cases a real PBX brings: a Contact at
its listener rather than at the port it connected from, a connection that closed before our BYE, and a sips dialog
whose connection is gone (never a fallback to plain UDP).
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from telephony.call import Call
from telephony.endpoint import SipEndpoint
from telephony.rtp import RtpPortPool
from telephony.rtp_media import RtpMediaFactory
from telephony.sip.dialog import LocalParty
from telephony.sip.headers import NameAddr, Transport, Uri, Via
from telephony.sip.message import SipMessage, SipRequest, SipResponse, parse
from telephony.sip.stream import StreamTransport, frame, server_context
from telephony.sip.transport import PeerAcl, UdpTransport
from telephony.vocabulary import EndReason
from tests.conftest import free_port
from tests.telephony.sip.test_stream import _certificate

pytestmark = pytest.mark.sip


def rfc3263_transport(uri: Uri) -> Transport:
    """The transport a client picks for ``uri``, as RFC 3263 §4.1 says.

    "If the URI specifies a transport protocol in the transport parameter, that transport protocol SHOULD be
    used. Otherwise, if no transport protocol is specified, but the TARGET is a numeric IP address, the client
    SHOULD use UDP for a SIP URI, and TCP for a SIPS URI." — and a SIPS URI is reached over TLS (RFC 3261 §26.2.2,
    "the SIPS URI scheme ... TLS"; RFC 3263 §4.1: "the transport ... TLS over TCP" for a SIPS URI).
    """
    if uri.scheme == "sips":
        return Transport.TLS
    named = uri.params.get("transport")
    return Transport(named.upper()) if named else Transport.UDP


class Wire:
    """One client connection to the node: a UDP socket, or a TCP/TLS stream framed by Content-Length."""

    def __init__(self, transport: Transport, host: str, target: tuple[str, int],
                 tls: ssl.SSLContext | None = None) -> None:
        self.transport, self.target = transport, target
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if transport is Transport.UDP:
            self.sock = socket.socket(family, socket.SOCK_DGRAM)
            self.sock.bind((host, 0))
        else:
            raw = socket.create_connection(target, timeout=3)
            self.sock = tls.wrap_socket(raw, server_hostname="localhost") if tls else raw
        self.sock.settimeout(3)
        self.local: tuple[str, int] = self.sock.getsockname()[:2]
        self._buffer = bytearray()

    def send(self, data: bytes) -> None:
        if self.transport is Transport.UDP:
            self.sock.sendto(data, self.target)
        else:
            self.sock.sendall(data)

    def receive(self) -> SipMessage:
        if self.transport is Transport.UDP:
            return parse(self.sock.recv(65535))
        while (message := frame(self._buffer)) is None:
            chunk = self.sock.recv(65536)
            assert chunk, "the node closed the connection"
            self._buffer += chunk
        return parse(message)

    def close(self) -> None:
        self.sock.close()


@dataclass
class AnsweringNode:
    endpoint: SipEndpoint
    transport: UdpTransport
    tls: StreamTransport
    server_cert: Path

    hang_up: threading.Event = field(default_factory=threading.Event)  # cleared: wait for the test's word

    def on_call(self, call: Call) -> None:
        """Answer, wait for the ACK, hang up: our 200 and our BYE both carry the dialog's Contact."""
        call.answer()
        call.confirmed.wait(3)
        self.hang_up.wait(5)
        call.hangup(EndReason.FLOW_DONE)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[AnsweringNode]:
    port = free_port(socket.SOCK_STREAM)
    cert, key = _certificate(tmp_path, "server")
    tls = StreamTransport("127.0.0.1", 0, tls=server_context(str(cert), str(key)))
    streams = (StreamTransport("127.0.0.1", port), StreamTransport("::1", port), tls)
    transport = UdpTransport("127.0.0.1", port, PeerAcl(["127.0.0.0/8", "::1"]), streams=streams,
                             extra_hosts=("::1",))
    low = free_port() & ~1
    media = RtpMediaFactory(RtpPortPool(low, low + 20, host="127.0.0.1"))
    holder: list[AnsweringNode] = []
    endpoint = SipEndpoint(transport, LocalParty("127.0.0.1", port), media, lambda call: holder[0].on_call(call))
    holder.append(AnsweringNode(endpoint, transport, tls, cert))
    holder[0].hang_up.set()
    endpoint.start()
    yield holder[0]
    endpoint.stop()


def _invite(wire: Wire, scheme: str, node_host: str, node_port: int, contact_port: int | None = None) -> bytes:
    me = f"[{wire.local[0]}]" if ":" in wire.local[0] else wire.local[0]
    there = f"[{node_host}]" if ":" in node_host else node_host
    family = "IP6" if ":" in wire.local[0] else "IP4"
    param = ";transport=tcp" if wire.transport is Transport.TCP else ""
    sdp = (f"v=0\r\no=- 1 1 IN {family} {wire.local[0]}\r\ns=-\r\nc=IN {family} {wire.local[0]}\r\nt=0 0\r\n"
           f"m=audio {free_port()} RTP/AVP 0\r\n")
    return (f"INVITE {scheme}:sales@{there}:{node_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/{wire.transport} {me}:{wire.local[1]};branch=z9hG4bK-ct-{wire.local[1]};rport\r\n"
            f"From: <sip:13812345678@carrier.example>;tag=ct\r\nTo: <{scheme}:sales@{there}>\r\n"
            f"Call-ID: contact-{wire.transport}-{wire.local[1]}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <{scheme}:caller@{me}:{contact_port or wire.local[1]}{param}>\r\nMax-Forwards: 70\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}").encode()


def _ack(wire: Wire, ok: SipResponse) -> bytes:
    contact = NameAddr.parse(ok.headers.get("Contact") or "").uri
    me = f"[{wire.local[0]}]" if ":" in wire.local[0] else wire.local[0]
    return (f"ACK {contact} SIP/2.0\r\nVia: SIP/2.0/{wire.transport} {me}:{wire.local[1]};branch=z9hG4bK-ack\r\n"
            f"From: {ok.headers.get('From')}\r\nTo: {ok.headers.get('To')}\r\nCall-ID: {ok.call_id}\r\n"
            f"CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


def _ok(request: SipRequest) -> bytes:
    vias = "".join(f"Via: {v}\r\n" for v in request.headers.get_all("Via"))
    return (f"SIP/2.0 200 OK\r\n{vias}From: {request.headers.get('From')}\r\nTo: {request.headers.get('To')}\r\n"
            f"Call-ID: {request.call_id}\r\nCSeq: {request.headers.get('CSeq')}\r\nContent-Length: 0\r\n\r\n"
            ).encode()


CASES = [
    pytest.param(Transport.UDP, "127.0.0.1", id="udp-ipv4"),
    pytest.param(Transport.TCP, "127.0.0.1", id="tcp-ipv4"),
    pytest.param(Transport.TLS, "127.0.0.1", id="tls-ipv4"),
    pytest.param(Transport.UDP, "::1", id="udp-ipv6"),
    pytest.param(Transport.TCP, "::1", id="tcp-ipv6"),
]


@pytest.mark.parametrize(("transport", "host"), CASES)
def test_contact_and_via_name_the_transport_the_call_came_on(node: AnsweringNode, transport: Transport,
                                                            host: str) -> None:
    if ":" in host and not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    port = node.tls.address[1] if transport is Transport.TLS else node.transport.address[1]
    tls = ssl.create_default_context(cafile=str(node.server_cert)) if transport is Transport.TLS else None
    scheme = "sips" if transport is Transport.TLS else "sip"
    wire = Wire(transport, host, (host, port), tls)
    try:
        wire.send(_invite(wire, scheme, host, port))
        while not isinstance(ok := wire.receive(), SipResponse) or ok.status < 200:
            pass
        assert ok.status == 200
        ours = NameAddr.parse(ok.headers.get("Contact") or "").uri
        # RFC 3263 §4.1 applied to our Contact gives back the transport the INVITE came on, at our address on it.
        assert rfc3263_transport(ours) is transport
        assert (ours.host, ours.port) == (host, port)
        if transport is Transport.TLS:
            # RFC 3261 §12.1.1: "If the request that initiated the dialog contained a SIPS URI in the
            # Request-URI ..., the Contact header field in the response MUST be a SIPS URI."
            assert ours.scheme == "sips"
        # RFC 4566 §5.7: the answer's connection address is of the offer's type (IP6 for an IPv6 caller).
        family = "IP6" if ":" in host else "IP4"
        assert f"c=IN {family} {host}\r\n".encode() in ok.body

        wire.send(_ack(wire, ok))
        bye = wire.receive()  # on the same wire: over the connection the call came on, or to our UDP socket
        assert isinstance(bye, SipRequest) and bye.method == "BYE"
        # RFC 3261 §18.1.1 / §20.42: the Via's sent-protocol is the transport the request is sent over.
        assert Via.parse(bye.headers.get_all("Via")[0]).transport == transport.value
        # The BYE goes to the caller's Contact (§12.2.1.1), and ours in it still says how to reach us.
        mine = NameAddr.parse(bye.headers.get("Contact") or "").uri
        assert rfc3263_transport(mine) is transport and (mine.host, mine.port) == (host, port)
        if transport is Transport.TLS:
            # RFC 3261 §8.1.1.8: "If the Request-URI or top Route header field value contains a SIPS URI, the
            # Contact header field MUST contain a SIPS URI as well."
            assert bye.uri.startswith("sips:") and mine.scheme == "sips"
        wire.send(_ok(bye))
    finally:
        wire.close()


def _answered(wire: Wire, invite: bytes) -> SipResponse:
    """Send the INVITE, read up to our 200 OK and ACK it."""
    wire.send(invite)
    while not isinstance(ok := wire.receive(), SipResponse) or ok.status < 200:
        pass
    assert ok.status == 200
    wire.send(_ack(wire, ok))
    return ok


def _closed(node: AnsweringNode, wire: Wire) -> None:
    """Close the caller's connection and wait until the node has seen it go."""
    wire.close()
    deadline = time.monotonic() + 3
    while node.transport.connected(wire.local) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not node.transport.connected(wire.local)


def test_a_pbx_whose_contact_is_its_listener_gets_our_bye_on_the_connection_the_call_came_on(
    node: AnsweringNode,
) -> None:
    """A PBX connects from an ephemeral port and names its listener in Contact: the BYE reuses the connection."""
    port = node.transport.address[1]
    listener = socket.create_server(("127.0.0.1", 0))
    wire = Wire(Transport.TCP, "127.0.0.1", ("127.0.0.1", port))
    try:
        _answered(wire, _invite(wire, "sip", "127.0.0.1", port, contact_port=listener.getsockname()[1]))
        bye = wire.receive()
        assert isinstance(bye, SipRequest) and bye.method == "BYE"
        assert Via.parse(bye.headers.get_all("Via")[0]).transport == "TCP"
        wire.send(_ok(bye))
    finally:
        wire.close()
        listener.close()


def test_after_the_callers_tcp_connection_closed_our_bye_opens_one_to_its_contact(node: AnsweringNode) -> None:
    """RFC 3263 §4.1: the caller's Contact says ;transport=tcp, so the BYE goes over TCP — a new connection."""
    port = node.transport.address[1]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(3)
    wire = Wire(Transport.TCP, "127.0.0.1", ("127.0.0.1", port))
    node.hang_up.clear()
    try:
        _answered(wire, _invite(wire, "sip", "127.0.0.1", port, contact_port=listener.getsockname()[1]))
        _closed(node, wire)
        node.hang_up.set()
        conn, _ = listener.accept()
        conn.settimeout(3)
        buffer = bytearray()
        while (message := frame(buffer)) is None:
            buffer += conn.recv(65536)
        bye = parse(message)
        assert isinstance(bye, SipRequest) and bye.method == "BYE"
        assert Via.parse(bye.headers.get_all("Via")[0]).transport == "TCP"
        conn.sendall(_ok(bye))
        conn.close()
    finally:
        listener.close()


def test_a_sips_dialog_never_falls_back_to_udp(node: AnsweringNode) -> None:
    """RFC 3261 §26.2.2: a SIPS dialog is TLS on every hop; with its connection gone, nothing goes in the clear."""
    port = node.tls.address[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(1.5)
    wire = Wire(Transport.TLS, "127.0.0.1", ("127.0.0.1", port),
                ssl.create_default_context(cafile=str(node.server_cert)))
    node.hang_up.clear()
    try:
        _answered(wire, _invite(wire, "sips", "127.0.0.1", port, contact_port=udp.getsockname()[1]))
        _closed(node, wire)
        node.hang_up.set()
        with pytest.raises(TimeoutError):
            udp.recv(65535)  # the BYE (or anything) in plain UDP to the caller's Contact
    finally:
        udp.close()
