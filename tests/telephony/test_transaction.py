"""Transactions with an injected clock: 2xx retransmission T1→T2 until ACK, 64·T1 give-up, client timeouts."""

from __future__ import annotations

from telephony.sip.message import Headers, SipRequest, SipResponse, make_response
from telephony.sip.transaction import T1, T2, RequestMatch, TransactionLayer

SOURCE = ("127.0.0.1", 5070)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


def request(method: str, branch: str = "z9hG4bK-1", cseq: int = 1, call_id: str = "c1") -> SipRequest:
    return SipRequest(method, "sip:x@127.0.0.1", Headers((
        ("Via", f"SIP/2.0/UDP 127.0.0.1:5070;branch={branch}"),
        ("From", "<sip:a@b>;tag=1"), ("To", "<sip:x@y>"), ("Call-ID", call_id), ("CSeq", f"{cseq} {method}"),
    )))


def retransmit_times(clock: FakeClock, layer: TransactionLayer, until: float) -> list[float]:
    times = []
    while clock.now < until:
        clock.now = round(clock.now + 0.05, 2)
        if layer.tick():
            times.append(round(clock.now - 100.0, 2))
    return times


def test_2xx_retransmitted_doubling_to_t2_until_ack() -> None:
    clock = FakeClock()
    layer = TransactionLayer(clock)
    invite = request("INVITE")
    assert layer.on_request(invite, SOURCE) == (RequestMatch.NEW, None)
    layer.respond(invite, make_response(invite, 200, to_tag="t"), SOURCE)
    times = retransmit_times(clock, layer, 100.0 + 16)
    assert times == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5]  # T1, 2T1, 4T1, then capped at T2 = 4 s
    assert layer.on_request(request("ACK", branch="z9hG4bK-ack"), SOURCE)[0] is RequestMatch.ACK_FOR_2XX
    assert retransmit_times(clock, layer, 100.0 + 30) == []
    assert T2 == 8 * T1


def test_no_ack_gives_up_at_64_t1_and_tells_the_dialog() -> None:
    clock = FakeClock()
    timeouts: list[tuple[str, int]] = []
    layer = TransactionLayer(clock, on_ack_timeout=lambda cid, cseq: timeouts.append((cid, cseq)))
    invite = request("INVITE")
    layer.on_request(invite, SOURCE)
    layer.respond(invite, make_response(invite, 200, to_tag="t"), SOURCE)
    clock.now += 64 * T1 - 0.01
    layer.tick()
    assert timeouts == []
    clock.now += 0.02
    layer.tick()
    assert timeouts == [("c1", 1)]


def test_retransmitted_request_gets_the_last_response_again() -> None:
    clock = FakeClock()
    layer = TransactionLayer(clock)
    invite = request("INVITE")
    layer.on_request(invite, SOURCE)
    trying = layer.respond(invite, make_response(invite, 100), SOURCE)
    match, last = layer.on_request(invite, SOURCE)
    assert match is RequestMatch.RETRANSMISSION and last == trying


def test_ack_of_487_is_absorbed_and_stray_ack_dropped() -> None:
    clock = FakeClock()
    layer = TransactionLayer(clock)
    invite = request("INVITE")
    layer.on_request(invite, SOURCE)
    layer.respond(invite, make_response(invite, 487, to_tag="t"), SOURCE)
    assert layer.on_request(request("ACK"), SOURCE)[0] is RequestMatch.ACK_ABSORBED
    assert layer.on_request(request("ACK", call_id="other"), SOURCE)[0] is RequestMatch.STRAY_ACK


def test_client_transaction_retransmits_then_times_out_or_completes() -> None:
    clock = FakeClock()
    layer = TransactionLayer(clock)
    results: list[SipResponse | None] = []
    bye = request("BYE", branch="z9hG4bK-bye")
    layer.request(bye, SOURCE, results.append)
    assert retransmit_times(clock, layer, 100.0 + 4) == [0.5, 1.5, 3.5]
    clock.now = 100.0 + 64 * T1 + 0.1
    layer.tick()
    assert results == [None]
    refer = request("REFER", branch="z9hG4bK-refer")
    layer.request(refer, SOURCE, results.append)
    assert layer.on_response(make_response(refer, 202))
    assert results[-1] is not None and results[-1].status == 202
    assert not layer.on_response(make_response(refer, 202))  # already completed


def test_each_transaction_keeps_its_own_timers_among_thousands() -> None:
    """Timers come from a heap of due times, not a scan: every transaction still retransmits and is forgotten on
    its own schedule when thousands are held (at 50 calls/s a node keeps ~6,000 for 2·64·T1), an ACK that moves
    an INVITE's end earlier is honoured, and ``next_deadline`` (the endpoint's sleep) is the earliest of all."""
    clock = FakeClock()
    layer = TransactionLayer(clock)
    for n in range(3000):  # answered OPTIONS, one every 10 ms from t=100: each kept for 2·64·T1 = 64 s
        options = request("OPTIONS", branch=f"z9hG4bK-o{n}", call_id=f"o{n}")
        layer.on_request(options, SOURCE)
        layer.respond(options, make_response(options, 200), SOURCE)
        clock.now = round(clock.now + 0.01, 2)
    assert clock.now == 130.0
    invite = request("INVITE", branch="z9hG4bK-inv", call_id="inv")
    layer.on_request(invite, SOURCE)
    layer.respond(invite, make_response(invite, 200, to_tag="t"), SOURCE)
    assert layer.next_deadline() == 130.0 + T1  # the 2xx resend, before any OPTIONS ends (t=164 on)
    clock.now = 130.0 + T1
    assert len(layer.tick()) == 1 and len(layer) == 3001
    clock.now = 130.6
    ack = request("ACK", branch="z9hG4bK-ack", call_id="inv")
    assert layer.on_request(ack, SOURCE)[0] is RequestMatch.ACK_FOR_2XX  # the INVITE now ends at 130.6 + 64·T1
    assert layer.next_deadline() is not None
    clock.now = 164.0 + 14.995  # OPTIONS 0…1499 have ended, and the ACKed INVITE
    assert layer.tick() == [] and len(layer) == 1500
    assert layer.next_deadline() == 164.0 + 15.0  # OPTIONS 1500
    clock.now = 194.0  # past the last OPTIONS' end (193.99)
    assert layer.tick() == [] and len(layer) == 0
    assert layer.next_deadline() is None
