"""RFC 4475 torture messages against a live SIP node: each answer is checked against the RFC's text.

The 49 messages of RFC 4475 §3 (``tests/data/sip/rfc4475``; see its README: a faithful reconstruction from the
RFC's text, not the bit-exact Appendix B archive, which no registry reachable here ships) are sent one at a
time, one transaction each, over real UDP to a running :class:`SipEndpoint`. The node is a UAS that serves
INVITE/OPTIONS/BYE/CANCEL and is neither a proxy nor a registrar, so where the RFC describes what a registrar or
proxy would answer, the table names the answer a UAS that does not serve REGISTER gives (405 with Allow) and says
so. Messages the RFC calls invalid must never reach the call flow; responses sent to us that match no transaction
are silently discarded (RFC 3261 §18.1.2). Afterwards the node still answers OPTIONS and has logged no traceback.

Responses go where RFC 3261 §18.2.2 says: the ``received`` address with the port of the Via's sent-by (5060 when
absent), so the test speaks from a loopback address of its own (127.x.y.z) where ports 5060 and 5050 are free.
"""

from __future__ import annotations

import logging
import random
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from telephony.call import Call
from telephony.endpoint import SipEndpoint
from telephony.rtp import RtpPortPool
from telephony.rtp_media import RtpMediaFactory
from telephony.sip.dialog import LocalParty
from telephony.sip.message import SipResponse, parse
from telephony.sip.transport import PeerAcl, UdpTransport
from telephony.vocabulary import EndReason
from tests.conftest import free_port
from tests.telephony.sip.rfc4475 import DATA, load, notation

CALL = "call"  # a valid INVITE: 100 Trying, then the call flow runs (here it declines with 486)
DROP = "drop"  # a response that matches no transaction: discarded, no answer


@dataclass(frozen=True)
class Expect:
    section: str
    statuses: frozenset[int] | str  # acceptable final status codes, or CALL / DROP
    why: str
    header: str = ""  # a header the response must carry (Allow with 501/405, Unsupported with 420 …)


def _codes(*codes: int) -> frozenset[int]:
    return frozenset(codes)


TABLE: dict[str, Expect] = {
    # §3.1.1 valid messages: parse and process them.
    "wsinv": Expect("3.1.1.1", _codes(481), "valid; To has a tag, so it is a mid-dialog INVITE for no dialog"),
    "intmeth": Expect("3.1.1.2", _codes(501), "valid; an unknown method gets 501", "Allow"),
    "esc01": Expect("3.1.1.3", CALL, "valid INVITE with escapes"),
    "escnull": Expect("3.1.1.4", _codes(405), "valid REGISTER; not a registrar: 405", "Allow"),
    "esc02": Expect("3.1.1.5", _codes(501), "RE%47IST%45R is not REGISTER: unknown method, 501", "Allow"),
    "lwsdisp": Expect("3.1.1.6", _codes(200), "valid OPTIONS"),
    "longreq": Expect("3.1.1.7", CALL, "valid INVITE with long values (RFC 2543 Via without branch)"),
    "dblreq": Expect("3.1.1.8", _codes(405), "the REGISTER is processed, the trailing INVITE ignored", "Allow"),
    "semiuri": Expect("3.1.1.9", _codes(200), "valid OPTIONS"),
    "transports": Expect("3.1.1.10", _codes(200), "valid OPTIONS with unknown transports in lower Vias"),
    "mpart01": Expect("3.1.1.11", _codes(405), "valid MESSAGE; not served: 405", "Allow"),
    "unreason": Expect("3.1.1.12", DROP, "a valid response matching no transaction"),
    "noreason": Expect("3.1.1.13", DROP, "a valid response matching no transaction"),
    # §3.1.2 invalid messages: 400 (505 for the version), never a call.
    "badinv01": Expect("3.1.2.1", _codes(400), "extraneous separators in Via and Contact"),
    "clerr": Expect("3.1.2.2", _codes(400), "Content-Length larger than the UDP datagram"),
    "ncl": Expect("3.1.2.3", _codes(400), "negative Content-Length"),
    "scalar02": Expect("3.1.2.4", _codes(400), "CSeq, Max-Forwards and Expires overflow"),
    "scalarlg": Expect("3.1.2.5", DROP, "an invalid response is discarded"),
    "quotbal": Expect("3.1.2.6", _codes(400), "unterminated quoted string in To"),
    "ltgtruri": Expect("3.1.2.7", _codes(400), "Request-URI enclosed in <>"),
    "lwsruri": Expect("3.1.2.8", _codes(400), "whitespace inside the Request-URI"),
    "lwsstart": Expect("3.1.2.9", _codes(400), "several SP between Request-Line elements"),
    "trws": Expect("3.1.2.10", _codes(400), "SP after the SIP-Version"),
    "escruri": Expect("3.1.2.11", _codes(400), "escaped headers in the Request-URI"),
    "baddate": Expect("3.1.2.12", _codes(400), "Date not in GMT"),
    "regbadct": Expect("3.1.2.13", _codes(400), "Contact with '?' not in name-addr form"),
    "badaspec": Expect("3.1.2.14", _codes(400), "spaces inside <addr-spec>"),
    "baddn": Expect("3.1.2.15", _codes(400), "unquoted display names with non-token characters"),
    "badvers": Expect("3.1.2.16", _codes(505), "SIP/7.0"),
    "mismatch01": Expect("3.1.2.17", _codes(400), "CSeq method differs from the Request-Line"),
    "mismatch02": Expect("3.1.2.18", _codes(400), "unknown method with mismatching CSeq: 400, not 501"),
    "bigcode": Expect("3.1.2.19", DROP, "response code of ten digits is discarded"),
    # §3.2 transaction layer.
    "badbranch": Expect("3.2.1", _codes(200), "branch is only the magic cookie: still a request to answer"),
    # §3.3 application layer.
    "insuf": Expect("3.3.1", _codes(400), "To, From, Call-ID and Max-Forwards missing"),
    "unkscm": Expect("3.3.2", _codes(416), "unknown Request-URI scheme"),
    "novelsc": Expect("3.3.3", _codes(416), "Request-URI scheme this element does not serve"),
    "unksm2": Expect("3.3.4", _codes(400, 405), "a registrar says 400 (To not SIP); we serve no REGISTER: 405"),
    "bext01": Expect("3.3.5", _codes(420), "unknown Require; Proxy-Require is for proxies", "Unsupported"),
    "invut": Expect("3.3.6", _codes(415), "unknown body type: 415 with Accept", "Accept"),
    "regaut01": Expect("3.3.7", _codes(405), "a registrar says 401; we serve no REGISTER: 405", "Allow"),
    "multi01": Expect("3.3.8", _codes(400), "several values in single-value header fields"),
    "mcl01": Expect("3.3.9", _codes(400), "two Content-Length values"),
    "bcast": Expect("3.3.10", DROP, "a response matching no transaction"),
    "zeromf": Expect("3.3.11", _codes(200), "Max-Forwards 0 to a UAS: answered normally"),
    "cparam01": Expect("3.3.12", _codes(405), "a registrar says 200; we serve no REGISTER: 405", "Allow"),
    "cparam02": Expect("3.3.13", _codes(405), "a registrar says 200; we serve no REGISTER: 405", "Allow"),
    "regescrt": Expect("3.3.14", _codes(405), "a registrar says 200; we serve no REGISTER: 405", "Allow"),
    "sdp01": Expect("3.3.15", _codes(406, 400), "Accept excludes application/sdp: 406 (or 400)"),
    # §3.4 backwards compatibility.
    "inv2543": Expect("3.4.1", CALL, "RFC 2543 INVITE: no branch, no From tag, no Max-Forwards"),
}


@dataclass
class Node:
    endpoint: SipEndpoint
    calls: list[str] = field(default_factory=list)

    def on_call(self, call: Call) -> None:
        self.calls.append(call.call_id)
        call.reject(486, EndReason.REJECTED)


@pytest.fixture
def node() -> Iterator[Node]:
    low = free_port()
    transport = UdpTransport("127.0.0.1", 0, PeerAcl(["127.0.0.0/8"]))
    media = RtpMediaFactory(RtpPortPool(low - low % 2, low - low % 2 + 20, host="127.0.0.1"))
    holder: list[Node] = []
    endpoint = SipEndpoint(transport, LocalParty("127.0.0.1", transport.address[1]), media,
                           lambda call: holder[0].on_call(call))
    holder.append(Node(endpoint))
    endpoint.start()
    yield holder[0]
    endpoint.stop()


class Client:
    """A loopback address of our own, listening on the ports the messages' Vias name (5060, 5050)."""

    def __init__(self) -> None:
        for _ in range(20):
            self.host = f"127.{random.randint(16, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"
            try:
                self.socks = [self._bind(port) for port in (5060, 5050)]
                break
            except OSError:
                continue
        else:
            pytest.skip("no free loopback address with ports 5060 and 5050")

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, port))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        return sock

    def send(self, data: bytes, target: tuple[str, int]) -> None:
        self.socks[0].sendto(data, target)

    def collect(self, seconds: float, until_final: bool) -> list[SipResponse]:
        got: list[SipResponse] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for sock in self.socks:
                try:
                    data = sock.recv(65535)
                except BlockingIOError:
                    continue
                message = parse(data)
                assert isinstance(message, SipResponse), message
                got.append(message)
            if until_final and any(r.status >= 200 for r in got):
                return got
            time.sleep(0.005)
        return got

    def close(self) -> None:
        for sock in self.socks:
            sock.close()


_CALL_ID = re.compile(rb"^(?:call-id|i)[ \t]*:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
_VIA = re.compile(rb"^(?:via|v)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE | re.MULTILINE)


def _header(pattern: re.Pattern[bytes], data: bytes) -> str:
    """The first value of a header in a raw message, whitespace folded ('' when absent)."""
    found = pattern.search(data)
    return "" if found is None else " ".join(found.group(1).decode("utf-8", "replace").split())


def _transaction_key(data: bytes) -> tuple[str, str, str]:
    """(branch, sent-by, method) of a raw request, read loosely (RFC 3261 §17.2.3; torture messages included)."""
    parts = [p.strip() for p in _header(_VIA, data).split(",")[0].split(";")]
    sent_by = parts[0].split()[-1].lower() if parts[0].split() else ""
    branch = next((p.split("=", 1)[1] for p in parts[1:] if p.lower().startswith("branch=")), "")
    return branch, sent_by, data.split(b" ", 1)[0].decode("utf-8", "replace")


def _ack(response: SipResponse, request_uri: str) -> bytes:
    """The ACK of a final response to INVITE, as RFC 3261 §17.1.1.3 builds it: the INVITE's Request-URI and Via."""
    cseq = (response.headers.get("CSeq") or "0").split()[0]
    lines = [f"ACK {request_uri} SIP/2.0", f"Via: {response.headers.get_all('Via')[0]}",
             f"From: {response.headers.get('From')}", f"To: {response.headers.get('To')}",
             f"Call-ID: {response.headers.get('Call-ID')}", f"CSeq: {cseq} ACK", "Max-Forwards: 70",
             "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _verdict(name: str, expect: Expect, responses: list[SipResponse], calls: list[str]) -> str:
    """'' when the answer is what the RFC asks for, else what went wrong."""
    finals = [r for r in responses if r.status >= 200]
    codes = [r.status for r in responses]
    if expect.statuses == DROP:
        return "" if not responses else f"answered {codes}"
    if expect.statuses == CALL:
        call_ids = {r.call_id for r in responses}
        if codes[:1] == [100] and any(r.status == 486 for r in finals) and call_ids & set(calls):
            return ""
        return f"no call: answered {codes}"
    assert isinstance(expect.statuses, frozenset)
    if len(finals) != 1 or finals[0].status not in expect.statuses:
        return f"answered {codes}, expected one of {sorted(expect.statuses)}"
    final = finals[0]
    if expect.header and final.headers.get(expect.header) is None:
        return f"{final.status} without {expect.header}"
    if final.status >= 200 and final.status != 100 and final.headers.get("To") and ";tag=" not in (
            final.headers.get("To") or "").replace(" ", ""):
        return f"{final.status} without a To tag"
    if any(c in calls for c in {r.call_id for r in responses}):
        return "reached the call flow"
    return ""


def test_the_data_files_are_the_expanded_notation() -> None:
    messages = notation()
    assert len(messages) == 49 == len(TABLE)
    assert list(messages) == list(TABLE)
    for name, data in messages.items():
        assert load(name) == data, name
    assert sorted(p.stem for p in DATA.glob("*.dat")) == sorted(TABLE)


def test_every_rfc4475_message_is_answered_as_the_rfc_says(node: Node, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    client = Client()
    target = ("127.0.0.1", node.endpoint.local.port)
    failures: dict[str, str] = {}
    try:
        earlier: dict[str, tuple[str, str, str]] = {}  # Call-ID of each message sent (all 49 differ) → its key
        for name, expect in TABLE.items():
            data = load(name)
            client.send(data, target)
            responses = client.collect(0.4 if expect.statuses == DROP else 3.0,
                                       until_final=expect.statuses != DROP)
            # On a loaded machine an earlier message's answer can arrive late, inside this message's window (a 486
            # retransmitted before our ACK was read): not this message's answer. But some RFC 4475 messages reuse
            # an earlier one's branch, sent-by and method — one transaction by RFC 3261 §17.2.3 — and there the
            # earlier answer retransmitted, with its Call-ID, is the right answer to this one.
            key = _transaction_key(data)
            responses = [r for r in responses if earlier.get(r.call_id, key) == key]
            earlier[_header(_CALL_ID, data)] = key
            if expect.statuses == CALL:
                time.sleep(0.05)
            for response in responses:
                if response.status >= 200 and "INVITE" in (response.headers.get("CSeq") or ""):
                    client.send(_ack(response, data.split(b" ", 2)[1].decode("utf-8", "replace")), target)
            problem = _verdict(name, expect, responses, node.calls)
            if problem:
                failures[name] = f"§{expect.section} {problem} — RFC: {expect.why}"
        client.send(b"OPTIONS sip:user@example.com SIP/2.0\r\nVia: SIP/2.0/UDP " + client.host.encode()
                    + b";branch=z9hG4bKalive;rport\r\nTo: <sip:user@example.com>\r\nFrom: <sip:t@example.com>;tag=1"
                    b"\r\nCall-ID: alive\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", target)
        alive = client.collect(2.0, until_final=True)
    finally:
        client.close()
    handled = len(TABLE) - len(failures)
    logging.getLogger(__name__).warning("RFC 4475: %d of %d handled as the RFC says", handled, len(TABLE))
    assert [r.status for r in alive] == [200], "the node stopped answering"
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info is not None]
    assert not tracebacks, tracebacks
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())

