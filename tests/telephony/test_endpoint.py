"""The endpoint's request pipeline over real UDP on loopback (no sipp needed): every request gets a definite
reply, retransmissions are absorbed, the ACL and the call limit hold, re-INVITE keeps the same media."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from telephony.call import Call
from telephony.endpoint import SipEndpoint
from telephony.rtp import RtpPortPool
from telephony.rtp_media import RtpMediaFactory
from telephony.sip.dialog import LegState, LocalParty
from telephony.sip.message import SipRequest, SipResponse, parse
from telephony.sip.transport import PeerAcl, UdpTransport
from telephony.vocabulary import EndReason
from tests.conftest import free_port

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\n"


@dataclass
class Peer:
    """A bare UDP SIP peer: sends text, collects parsed replies."""

    target: tuple[str, int]
    host: str = "127.0.0.1"
    sock: socket.socket = field(default_factory=lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))

    def __post_init__(self) -> None:
        self.sock.bind((self.host, 0))
        self.sock.settimeout(2.0)
        self.port = self.sock.getsockname()[1]

    def send(self, method: str, *, call_id: str = "t1", branch: str = "z9hG4bK-1", cseq: int = 1,
             to_tag: str = "", body: str = "", extra: str = "") -> None:
        to = "<sip:sales@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
        text = (f"{method} sip:sales@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {self.host}:{self.port};branch={branch}"
                f";rport\r\nFrom: <sip:13812345678@c>;tag=p\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
                f"CSeq: {cseq} {method}\r\nContact: <sip:p@{self.host}:{self.port}>\r\n{extra}"
                f"Content-Length: {len(body)}\r\n\r\n{body}")
        self.sock.sendto(text.encode(), self.target)

    def raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)

    def expect(self, *statuses: int) -> list[SipResponse | SipRequest]:
        got: list[SipResponse | SipRequest] = []
        for _ in statuses:
            got.append(parse(self.sock.recv(65535)))
        assert [m.status if isinstance(m, SipResponse) else m.method for m in got] == list(statuses)
        return got

    def silent(self, seconds: float = 0.5) -> bool:
        self.sock.settimeout(seconds)
        try:
            self.sock.recv(65535)
        except TimeoutError:
            return True
        finally:
            self.sock.settimeout(2.0)
        return False


@dataclass
class Harness:
    endpoint: SipEndpoint
    calls: list[Call] = field(default_factory=list)
    answer: bool = True
    release: threading.Event = field(default_factory=threading.Event)
    peers: list[Peer] = field(default_factory=list)

    def on_call(self, call: Call) -> None:
        self.calls.append(call)
        if self.answer:
            call.answer()
        self.release.wait(10)
        call.hangup(EndReason.FLOW_DONE)


@pytest.fixture
def harness() -> Iterator[Harness]:
    low = free_port()
    transport = UdpTransport("127.0.0.1", 0, PeerAcl(["127.0.0.0/8"]))
    media = RtpMediaFactory(RtpPortPool(low - low % 2, low - low % 2 + 40, host="127.0.0.1"))
    holder: list[Harness] = []
    endpoint = SipEndpoint(transport, LocalParty("127.0.0.1", transport.address[1]), media,
                           lambda call: holder[0].on_call(call), max_calls=2)
    holder.append(Harness(endpoint))
    endpoint.start()
    yield holder[0]
    holder[0].release.set()
    time.sleep(0.1)
    endpoint.stop()
    for peer in holder[0].peers:
        peer.sock.close()


def peer_of(h: Harness, host: str = "127.0.0.1") -> Peer:
    peer = Peer(("127.0.0.1", h.endpoint.local.port), host)
    h.peers.append(peer)
    return peer


def test_options_and_unknown_methods(harness: Harness) -> None:
    peer = peer_of(harness)
    peer.send("OPTIONS")
    (ok,) = peer.expect(200)
    assert isinstance(ok, SipResponse) and "INVITE" in (ok.headers.get("Allow") or "")
    peer.send("FROBNICATE", branch="z9hG4bK-2")
    peer.expect(501)
    peer.send("SUBSCRIBE", branch="z9hG4bK-3")
    peer.expect(405)
    peer.send("BYE", branch="z9hG4bK-4", call_id="nope", to_tag="x")
    peer.expect(481)


def test_options_probe_says_503_while_the_node_is_not_ready_and_a_call_is_still_answered(harness: Harness) -> None:
    """Kamailio's dispatcher probes with OPTIONS and sends calls only to a node answering 2xx: while the node is
    not ready (its recogniser pool warming) the probe gets 503 with the reason, and an INVITE sent anyway is
    answered as ever — readiness steers the load balancer, it never refuses a caller."""
    reason: list[str] = ["asr_pool: pre-warming 4 ASR recogniser(s)"]
    harness.endpoint.unready = lambda: reason[0] if reason else None
    peer = peer_of(harness)
    peer.send("OPTIONS")
    (busy,) = peer.expect(503)
    assert isinstance(busy, SipResponse) and busy.headers.get("Retry-After") == "5"
    assert "not ready for calls: asr_pool: pre-warming 4" in (busy.headers.get("Warning") or ""), busy.headers
    peer.send("INVITE", call_id="early", branch="z9hG4bK-2", body=SDP.format(port=free_port()))
    _trying, ok = peer.expect(100, 200)
    assert isinstance(ok, SipResponse) and ok.headers.get("CSeq") == "1 INVITE" and len(harness.calls) == 1
    tag = (ok.headers.get("To") or "").split("tag=")[1]
    peer.send("ACK", call_id="early", branch="z9hG4bK-3", to_tag=tag)
    reason.clear()  # warm: the probe passes again
    peer.send("OPTIONS", call_id="t2", branch="z9hG4bK-4")
    peer.expect(200)


def test_garbage_is_ignored_and_missing_headers_get_400(harness: Harness) -> None:
    peer = peer_of(harness)
    peer.raw(b"\x00\x01garbage that is not SIP")
    peer.raw(b"\r\n\r\n")  # keep-alive
    assert peer.silent(0.3)
    peer.raw(f"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{peer.port};branch=z9hG4bK-x\r\n"
             "Content-Length: 0\r\n\r\n".encode())
    peer.expect(400)
    peer.send("OPTIONS")  # and the endpoint is still alive
    peer.expect(200)


def test_invite_ack_bye_and_retransmitted_invite(harness: Harness) -> None:
    peer = peer_of(harness)
    body = SDP.format(port=free_port())
    peer.send("INVITE", body=body)
    _trying, ok = peer.expect(100, 200)
    assert isinstance(ok, SipResponse) and b"m=audio" in ok.body
    peer.send("INVITE", body=body)  # retransmission: the 200 again, no second call
    peer.expect(200)
    assert len(harness.calls) == 1
    tag = ok.headers.get("To", ).split("tag=")[1]  # type: ignore[union-attr]
    peer.send("ACK", branch="z9hG4bK-ack", to_tag=tag)
    assert peer.silent(0.2)
    assert harness.calls[0].leg.state is LegState.CONFIRMED
    peer.send("INVITE", branch="z9hG4bK-re", cseq=2, to_tag=tag, body=SDP.format(port=free_port()))
    (re_ok,) = peer.expect(200)
    assert isinstance(re_ok, SipResponse) and re_ok.body == ok.body  # same local RTP port: same threads
    peer.send("ACK", branch="z9hG4bK-ack2", cseq=2, to_tag=tag)
    peer.send("BYE", branch="z9hG4bK-bye", cseq=3, to_tag=tag)
    peer.expect(200)
    assert harness.calls[0].ended.wait(2) and harness.calls[0].end_reason == "caller_bye"


def test_200_is_retransmitted_until_ack(harness: Harness) -> None:
    peer = peer_of(harness)
    peer.send("INVITE", body=SDP.format(port=free_port()))
    peer.expect(100, 200)
    peer.expect(200)  # T1 = 0.5 s later, again — pyVoIP never retransmitted
    peer.expect(200)


def test_max_calls_gives_503_and_cancel_gives_487(harness: Harness) -> None:
    harness.answer = False
    peer = peer_of(harness)
    for n in (1, 2):
        peer.send("INVITE", call_id=f"c{n}", branch=f"z9hG4bK-c{n}", body=SDP.format(port=free_port()))
        peer.expect(100)
    peer.send("INVITE", call_id="c3", branch="z9hG4bK-c3", body=SDP.format(port=free_port()))
    peer.expect(100, 503)
    peer.send("CANCEL", call_id="c1", branch="z9hG4bK-c1")
    replies = peer.expect(200, 487)
    assert replies[1].headers.get("CSeq") == "1 INVITE"
    assert harness.calls[0].ended.wait(2) and harness.calls[0].end_reason == "cancel"


def test_sdp_without_common_codec_gets_488(harness: Harness) -> None:
    peer = peer_of(harness)
    peer.send("INVITE", body=SDP.format(port=free_port()).replace("RTP/AVP 0", "RTP/AVP 18"))
    peer.expect(100, 488)


def test_acl_refuses_other_sources() -> None:
    transport = UdpTransport("127.0.0.1", 0, PeerAcl(["127.0.0.2"]))
    endpoint = SipEndpoint(transport, LocalParty("127.0.0.1", transport.address[1]),
                           RtpMediaFactory(RtpPortPool(30000, 30010)), lambda call: None)
    endpoint.start()
    stranger = Peer(("127.0.0.1", transport.address[1]))
    trusted = Peer(("127.0.0.1", transport.address[1]), host="127.0.0.2")
    try:
        stranger.send("INVITE", body=SDP.format(port=9))
        stranger.expect(403)
        assert transport.denied == 1
        trusted.send("OPTIONS")
        trusted.expect(200)
    finally:
        endpoint.stop()
        stranger.sock.close()
        trusted.sock.close()


def test_dtmf_by_sip_info_and_by_rfc4733_reaches_the_call_as_one_stream(harness: Harness) -> None:
    import struct

    from telephony.sip.sdp import parse_offer

    peer = peer_of(harness)
    rtp_port = free_port()
    body = SDP.format(port=rtp_port).replace("RTP/AVP 0\r\n", "RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n")
    peer.send("INVITE", body=body)
    _trying, ok = peer.expect(100, 200)
    assert isinstance(ok, SipResponse)
    tag = (ok.headers.get("To") or "").split("tag=")[1]
    peer.send("ACK", branch="z9hG4bK-ack", to_tag=tag)
    call = harness.calls[0]
    relay, relay_type = "Signal=1\r\nDuration=160\r\n", "Content-Type: application/dtmf-relay\r\n"
    peer.send("INFO", branch="z9hG4bK-i1", cseq=2, to_tag=tag, body=relay, extra=relay_type)
    peer.expect(200)
    peer.send("INFO", branch="z9hG4bK-i2", cseq=3, to_tag=tag, body="#", extra="Content-Type: application/dtmf\r\n")
    peer.expect(200)
    peer.send("INFO", branch="z9hG4bK-i3", cseq=4, to_tag=tag, body="<xml/>", extra="Content-Type: text/xml\r\n")
    peer.expect(200)  # not DTMF: answered, ignored
    media_port = parse_offer(ok.body).port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rtp:
        rtp.bind(("127.0.0.1", rtp_port))
        for seq, (end, duration) in enumerate([(False, 160), (True, 480), (True, 480), (True, 480)]):
            payload = struct.pack("!BBH", 5, (0x80 if end else 0) | 10, duration)  # event 5 = "5"
            packet = struct.pack("!BBHII", 0x80, 101 | (0x80 if seq == 0 else 0), seq + 1, 8000, 0x1234) + payload
            rtp.sendto(packet, ("127.0.0.1", media_port))
        deadline = time.monotonic() + 2
        got = ""
        while time.monotonic() < deadline and len(got) < 3:
            got += call.dtmf()
            time.sleep(0.05)
    assert got == "1#5"
    assert call.dtmf() == ""  # each key once
