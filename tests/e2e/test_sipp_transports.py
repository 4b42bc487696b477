"""Calls over the other transports RFC 3261 §18 asks for: sipp over TCP (``-t t1``), over TLS (``-t l1``), over IPv6.

Debian 12's sipp (3.6.1, built without OpenSSL) has no ``-t l1``; the TLS call uses Debian unstable's sipp 3.8.0,
which ``scripts/sipp-tls.sh`` keeps in a cache outside the repository (the script says why not another). A Python
TLS client still checks the plain OPTIONS exchange on the real service without it. Every call also checks our
Contact against the RFC: it names the transport the call came on, so the far end's requests come back over it.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prompts.names import PromptName
from screening.interfaces import Route
from tests.e2e.harness import LEGIT_TEXT, Loopback, RtpSink, make_caller_audio, require_sipp_tls, start_loopback
from tests.e2e.test_sipp_calls import _heard_matches_sent, _played
from tests.telephony.replay_recognizer import Utterance
from tests.telephony.sip.test_stream import _certificate, options, read_responses

pytestmark = [pytest.mark.sip, pytest.mark.slow]
LEGIT = (Utterance(1.5, LEGIT_TEXT),)



def _loop(tmp_path: Path, **overrides: Any) -> Iterator[Loopback]:
    make_caller_audio(tmp_path, LEGIT_TEXT, "PCMU")
    loop = start_loopback(tmp_path, LEGIT, **overrides)
    try:
        yield loop
    finally:
        loop.service.stop(drain_timeout_s=1.0)


def test_legit_call_over_tcp_is_transferred_on_the_same_connection(tools: None, tmp_path: Path) -> None:
    for loop in _loop(tmp_path):
        result = loop.sipp("uac-legit-expect-refer.xml", extra=("-t", "t1"))
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.AGENTS and record.end_reason == "transfer_ok"
        assert "SIP/2.0/TCP" in loop.sipp_log()
        # Our requests within the dialog say how to reach us: over TCP (RFC 3263 §4.1), Via TCP (§18.1.1).
        ours = f"<sip:{loop.service.endpoint.local.user}@127.0.0.1:{loop.sip_port};transport=tcp>"
        for start in ("SIP/2.0 200 OK", "REFER ", "BYE "):
            message = _received(loop.sipp_log(0), start)
            assert _contact(message) == ours, message
            assert start.startswith("SIP/") or "Via: SIP/2.0/TCP 127.0.0.1:" in message, message


def _received(log: str, start_line: str) -> str:
    """The first message sipp logged as received (from callscreen) whose start line begins with ``start_line``."""
    for block in re.split(r"-{20,}[^\n]*\n", log):
        _, _, message = block.partition(" message received ")
        if message and message.split(":", 1)[-1].lstrip().startswith(start_line):
            return message
    raise AssertionError(f"sipp received no {start_line!r} message:\n{log[-3000:]}")


def _contact(message: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in message.splitlines() if line.startswith("Contact:"))


def test_caller_bye_to_our_tcp_contact_arrives_over_tcp(tools: None, tmp_path: Path) -> None:
    """RFC 3263 §4.1: sipp sends its ACK and BYE to our Contact ([next_url]); ours says ;transport=tcp."""
    for loop in _loop(tmp_path):
        result = loop.sipp("uac-tcp-bye-to-contact.xml", extra=("-t", "t1"))
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.end_reason == "caller_bye"
        ours = f"<sip:{loop.service.endpoint.local.user}@127.0.0.1:{loop.sip_port};transport=tcp>"
        assert _contact(_received(loop.sipp_log(0), "SIP/2.0 200 OK")) == ours
        assert f"BYE {ours[1:-1]} SIP/2.0" in loop.sipp_log()  # sipp's BYE, addressed to our Contact


def test_call_over_ipv6_loopback(tools: None, tmp_path: Path) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    for loop in _loop(tmp_path, sip={"bind_host6": "::1", "peers": ["127.0.0.1", "::1"]}):
        result = loop.sipp("uac-silent-expect-media-timeout-bye.xml",
                           extra=("-i", "::1", "-mi", "::1"), target=f"[::1]:{loop.sip_port}")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.MEDIA_TIMEOUT


def test_legit_call_over_tls_with_sipp_is_transferred_with_sips_contacts(tools: None, tmp_path: Path) -> None:
    """sipp ``-t l1`` (Debian 13's, built with TLS: scripts/sipp-tls.sh) verifies our certificate and calls."""
    sipp = require_sipp_tls()
    cert, key = _certificate(tmp_path, "server")
    tls_files = ("-tls_cert", str(cert), "-tls_key", str(key), "-tls_ca", str(cert))
    for loop in _loop(tmp_path, sip={"tls_cert_file": str(cert), "tls_key_file": str(key), "tls_port": 0}):
        tls_port = next(s for s in loop.service.endpoint._transport.streams if s.name == "TLS").address[1]
        result = loop.sipp("uac-legit-expect-refer.xml", binary=sipp, target=f"127.0.0.1:{tls_port}",
                           extra=("-t", "l1", *tls_files))
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + loop.sipp_log()
        (record,) = loop.records()
        assert record.route is Route.AGENTS and record.end_reason == "transfer_ok"
        # RFC 3261 §26.2.2 / §8.1.1.8: over TLS our Contact is a SIPS URI at the TLS port; Via says TLS (§18.1.1).
        ours = f"<sips:{loop.service.endpoint.local.user}@127.0.0.1:{tls_port}>"
        log = loop.sipp_log(0)
        for start in ("SIP/2.0 200 OK", "REFER ", "BYE "):
            message = _received(log, start)
            assert _contact(message) == ours, message
            assert start.startswith("SIP/") or "Via: SIP/2.0/TLS 127.0.0.1:" in message, message
        assert "TLS message received" in log and "UDP message" not in log


def test_call_over_ipv6_has_ipv6_media_both_ways(tools: None, tmp_path: Path) -> None:
    """RFC 4566 §5.7 / RFC 3264 §6: sipp offers ``c=IN IP6 ::1``; our answer is ``IN IP6`` and RTP flows over IPv6.

    Caller → callscreen: what the recogniser heard is the decode of what sipp streamed from [::1] (a call whose
    media is broken hears nothing and ends in a media timeout). Callscreen → caller: the greeting arrives, from
    [::1], at the IPv6 port sipp's SDP named."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    sink = RtpSink("::1")
    try:
        for loop in _loop(tmp_path, sip={"bind_host6": "::1", "peers": ["127.0.0.1", "::1"]}):
            result = loop.sipp("uac-legit-expect-refer.xml", extra=("-i", "::1", "-mi", "::1"),
                               target=f"[::1]:{loop.sip_port}", sink_port=sink.port)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + loop.sipp_log()
            (record,) = loop.records()
            assert record.route is Route.AGENTS and record.end_reason == "transfer_ok"
            answer = _received(loop.sipp_log(0), "SIP/2.0 200 OK")
            assert "c=IN IP6 ::1" in answer and "o=callscreen " in answer and "IN IP4" not in answer, answer
            assert _contact(answer) == f"<sip:{loop.service.endpoint.local.user}@[::1]:{loop.sip_port}>"
            _heard_matches_sent(loop, tmp_path, "PCMU")
            _played(sink, "PCMU", (PromptName.GREETING,))
            assert sink.sources == {"::1"}
    finally:
        sink.stop()


def test_tls_options_and_invite_on_the_service(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path, "server")
    for loop in _loop(tmp_path, sip={"tls_cert_file": str(cert), "tls_key_file": str(key), "tls_port": 0}):
        tls = next(s for s in loop.service.endpoint._transport.streams if s.name == "TLS")
        client = ssl.create_default_context(cafile=str(cert))
        with socket.create_connection(tls.address) as raw, client.wrap_socket(raw, server_hostname="localhost"
                                                                                ) as sock:
            sock.sendall(options("TLS 127.0.0.1:1", "t1", "tls-1"))
            (answer,) = read_responses(sock, 1)
            assert answer.status == 200 and answer.call_id == "tls-1"


def test_a_taken_tcp_port_leaves_the_node_serving_udp(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Fail open for calls: a node whose TCP port is taken (by anything) starts on UDP and says so."""
    from callscreen.service import build_service
    from tests.e2e.harness import make_settings

    blocker = socket.create_server(("127.0.0.1", 0))
    port = blocker.getsockname()[1]
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            pytest.skip("the UDP port of the same number is taken too")
        probe.close()
        service = build_service(make_settings(tmp_path, sipp_port=port + 1, sip={"port": port}))
        service.start()
        try:
            assert "SIP over TCP is off" in caplog.text
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", 0))
            udp.settimeout(3)
            udp.sendto(options(f"UDP 127.0.0.1:{udp.getsockname()[1]}", "udp", "udp-1"), ("127.0.0.1", port))
            data = udp.recv(65535)
            udp.close()
            assert data.startswith(b"SIP/2.0 200 ")
        finally:
            service.stop(drain_timeout_s=0)
    finally:
        blocker.close()
