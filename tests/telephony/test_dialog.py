"""CallLeg: dispatch tables per state, in-dialog request construction."""

from __future__ import annotations

from telephony.sip.dialog import DISPATCH, CallLeg, LegEvent, LegState, LocalParty
from telephony.sip.headers import CSeq, NameAddr
from telephony.sip.message import Headers, SipRequest

INVITE = SipRequest("INVITE", "sip:sales@127.0.0.1", Headers((
    ("Via", "SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-1"),
    ("Record-Route", "<sip:10.0.0.2;lr>, <sip:10.0.0.3;lr>"),
    ("From", '"C" <sip:138@carrier>;tag=remote'),
    ("To", "<sip:sales@127.0.0.1>"),
    ("Call-ID", "leg-1"),
    ("CSeq", "1 INVITE"),
    ("Contact", "<sip:caller@10.0.0.1:5070>"),
)))


def leg() -> CallLeg:
    return CallLeg(INVITE, LocalParty("127.0.0.1", 5060))


def test_happy_path_and_logged_history() -> None:
    call = leg()
    assert call.state is LegState.PROCEEDING
    for event, state in ((LegEvent.ANSWER, LegState.ANSWERED), (LegEvent.ACK, LegState.CONFIRMED),
                         (LegEvent.INVITE, LegState.CONFIRMED), (LegEvent.HANGUP, LegState.TERMINATING),
                         (LegEvent.BYE_ANSWERED, LegState.TERMINATED)):
        assert call.transition(event) is state
    assert [h[1] for h in call.history] == ["INVITE", "answer", "ACK", "hangup", "bye_answered"]


def test_cancel_only_before_answer() -> None:
    call = leg()
    assert call.transition(LegEvent.CANCEL) is LegState.CANCELLED
    assert call.transition(LegEvent.ANSWER) is None  # a cancelled call can never be answered (pyVoIP answered it)
    answered = leg()
    answered.transition(LegEvent.ANSWER)
    assert answered.transition(LegEvent.CANCEL) is None


def test_every_state_has_a_table_and_terminal_states_are_final() -> None:
    assert set(DISPATCH) == set(LegState)
    assert DISPATCH[LegState.TERMINATED] == {}


def test_in_dialog_request_uses_route_set_remote_target_and_own_via() -> None:
    call = leg()
    call.transition(LegEvent.ANSWER)
    bye = call.request("BYE")
    assert bye.uri == "sip:caller@10.0.0.1:5070"
    assert bye.headers.get_all("Route") == ["<sip:10.0.0.2;lr>", "<sip:10.0.0.3;lr>"]
    assert bye.headers.get_all("Via")[0].startswith("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK")
    assert NameAddr.parse(bye.headers.get("From") or "").tag == call.local_tag
    assert NameAddr.parse(bye.headers.get("To") or "").tag == "remote"
    first = CSeq.parse(bye.headers.get("CSeq") or "").number
    assert CSeq.parse(call.request("REFER").headers.get("CSeq") or "").number == first + 1
    assert call.next_hop(("0.0.0.0", 1)) == ("10.0.0.2", 5060)
