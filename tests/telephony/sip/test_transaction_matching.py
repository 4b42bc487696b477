"""Server-transaction matching by RFC 3261 §17.2.3, and every response carrying a To tag (§8.2.6.2)."""

from __future__ import annotations

from dataclasses import replace

from telephony.sip.message import Headers, SipRequest, make_response
from telephony.sip.transaction import RequestMatch, TransactionLayer, server_key
from telephony.sip.validate import check
from tests.telephony.test_transaction import SOURCE, FakeClock


def request(method: str, via: str, *, uri: str = "sip:x@127.0.0.1", cseq: str = "", call_id: str = "c1",
            from_tag: str = "1") -> SipRequest:
    return SipRequest(method, uri, Headers((
        ("Via", via), ("From", f"<sip:a@b>;tag={from_tag}"), ("To", "<sip:x@y>"), ("Call-ID", call_id),
        ("CSeq", cseq or f"1 {method}"), ("Max-Forwards", "70"),
    )))


def test_same_branch_from_another_sent_by_is_another_transaction() -> None:
    layer = TransactionLayer(FakeClock())
    first = request("OPTIONS", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKsame")
    layer.on_request(first, SOURCE)
    layer.respond(first, make_response(first, 200), SOURCE)
    other_host = request("OPTIONS", "SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKsame", call_id="c2")
    assert layer.on_request(other_host, SOURCE)[0] is RequestMatch.NEW
    other_method = request("INFO", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKsame")
    assert layer.on_request(other_method, SOURCE)[0] is RequestMatch.NEW
    again = request("OPTIONS", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKsame")  # 5060 implied: same sent-by
    match, last = layer.on_request(again, SOURCE)
    assert match is RequestMatch.RETRANSMISSION and last is not None and b"200 OK" in last.data


def test_requests_without_a_3261_branch_do_not_share_a_transaction() -> None:
    """RFC 2543 rules: Request-URI, From tag, Call-ID, CSeq and top Via (RFC 4475 §3.2.1: a bare cookie too)."""
    layer = TransactionLayer(FakeClock())
    for via in ("SIP/2.0/UDP host.example.com", "SIP/2.0/UDP host.example.com;branch=z9hG4bK"):
        a = request("OPTIONS", via, call_id="a")
        b = request("OPTIONS", via, call_id="b")
        assert layer.on_request(a, SOURCE)[0] is RequestMatch.NEW
        assert layer.on_request(b, SOURCE)[0] is RequestMatch.NEW
        assert layer.on_request(a, SOURCE)[0] is RequestMatch.RETRANSMISSION
        assert layer.on_request(replace(a, uri="sip:other@127.0.0.1"), SOURCE)[0] is RequestMatch.NEW


def test_cancel_finds_the_invite_it_cancels() -> None:
    invite = request("INVITE", "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKinv")
    cancel = request("CANCEL", "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKinv", cseq="1 CANCEL")
    assert server_key(cancel, "INVITE") == server_key(invite) != server_key(cancel)
    old_invite = request("INVITE", "SIP/2.0/UDP gw.example.com")
    old_cancel = request("CANCEL", "SIP/2.0/UDP gw.example.com", cseq="1 CANCEL")
    assert server_key(old_cancel, "INVITE") == server_key(old_invite)


def test_every_final_response_has_a_to_tag() -> None:
    req = request("INVITE", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx")
    for status in (400, 403, 405, 415, 420, 481, 501, 503):
        assert ";tag=" in (make_response(req, status).headers.get("To") or "")
    assert ";tag=" not in (make_response(req, 100).headers.get("To") or "")
    assert (make_response(req, 486, to_tag="mine").headers.get("To") or "").endswith(";tag=mine")


def test_refusals_name_their_reason_and_mandatory_headers() -> None:
    req = request("OPTIONS", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx")
    req = replace(req, headers=req.headers.with_added("Require", "100rel, timer"))
    refusal = check(req)
    assert refusal is not None and refusal.status == 420
    assert ("Unsupported", "100rel, timer") in refusal.headers()
    assert any(name == "Warning" for name, _ in refusal.headers())
    assert check(request("OPTIONS", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx")) is None


def test_the_callers_bye_stops_our_requests_in_its_dialog() -> None:
    clock = FakeClock()
    layer = TransactionLayer(clock)
    results: list[object] = []
    refer = request("REFER", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKrefer", call_id="dlg")
    other = request("NOTIFY", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKother", call_id="another")
    layer.request(refer, SOURCE, results.append)
    layer.request(other, SOURCE, results.append)
    assert layer.abandon("dlg") == 1 and results == [None]
    clock.now += 1.0
    sent = layer.tick()
    assert [out.data.split(b" ", 1)[0] for out in sent] == [b"NOTIFY"]  # the REFER is no longer retransmitted


def test_host_names_are_resolved_once_per_ttl() -> None:
    from telephony.sip.transport import HostCache

    now = [0.0]
    asked: list[str] = []

    def lookup(host: str) -> str:
        asked.append(host)
        if host == "missing.invalid":
            raise OSError("no such host")
        return "127.0.0.1"

    cache = HostCache(lookup, lambda: now[0], ttl_s=60.0, negative_ttl_s=5.0)
    assert [cache.resolve("pbx.example.com") for _ in range(100)] == ["127.0.0.1"] * 100
    assert cache.resolve("192.0.2.1") == "192.0.2.1" and cache.resolve("::1") == "::1"
    assert cache.resolve("missing.invalid") is None and cache.resolve("missing.invalid") is None
    assert asked == ["pbx.example.com", "missing.invalid"]
    now[0] = 61.0
    cache.resolve("pbx.example.com")
    assert asked[-1] == "pbx.example.com" and len(asked) == 3


def test_the_ack_of_a_failure_must_match_the_invite_transaction() -> None:
    clock = FakeClock()
    layer = TransactionLayer(clock)
    invite = request("INVITE", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1", call_id="fail")
    layer.on_request(invite, SOURCE)
    layer.respond(invite, make_response(invite, 486, to_tag="t"), SOURCE)
    elsewhere = request("ACK", "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKinv1", call_id="fail", cseq="1 ACK")
    assert layer.on_request(elsewhere, SOURCE)[0] is RequestMatch.STRAY_ACK
    clock.now += 0.6
    assert layer.tick()  # the 486 is still retransmitted: that ACK was not for it
    ack = request("ACK", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1", call_id="fail", cseq="1 ACK")
    assert layer.on_request(ack, SOURCE)[0] is RequestMatch.ACK_ABSORBED
    clock.now += 5.0
    assert not layer.tick()
