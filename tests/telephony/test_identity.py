"""Caller identity: PAI > RPID > From, privacy and anonymous callers, normalised by numbering."""

from __future__ import annotations

from pathlib import Path

from numbering import NumberKind
from telephony.sip.identity import IdentitySource, caller_identity
from telephony.sip.message import Headers, parse

DATA = Path(__file__).parent.parent / "data" / "sip"


def headers_of(name: str) -> Headers:
    return parse((DATA / name).read_bytes()).headers


def test_pai_wins_over_from_and_is_normalised() -> None:
    identity = caller_identity(headers_of("invite_compact_tel.sip"))
    assert identity.source is IdentitySource.PAI
    assert identity.number.normalized == "+8613812345678"
    assert identity.number.kind is NumberKind.MOBILE
    assert not identity.withheld


def test_anonymous_with_privacy_id() -> None:
    identity = caller_identity(headers_of("invite_anonymous.sip"))
    assert identity.number.is_anonymous
    assert identity.withheld


def test_privacy_with_network_asserted_number_keeps_number_but_flags_withheld() -> None:
    headers = headers_of("invite_anonymous.sip").with_added("P-Asserted-Identity", "<tel:+861012345678>")
    identity = caller_identity(headers)
    assert identity.source is IdentitySource.PAI
    assert identity.number.normalized == "+861012345678"
    assert identity.number.kind is NumberKind.FIXED
    assert identity.withheld


def test_rpid_calling_party_used_when_no_pai() -> None:
    identity = caller_identity(headers_of("invite_rpid.sip"))
    assert identity.source is IdentitySource.RPID
    assert identity.number.normalized == "+8675512345678"
    assert identity.display == "Duty Desk"


def test_rpid_privacy_full_makes_from_anonymous() -> None:
    headers = Headers((("From", "<sip:13812345678@x>;tag=1"),
                       ("Remote-Party-ID", "<sip:anonymous@x>;party=calling;privacy=full")))
    identity = caller_identity(headers)
    assert identity.number.is_anonymous and identity.withheld


def test_from_fallback_short_code_toll_free_and_garbage() -> None:
    assert caller_identity(Headers((("From", "<sip:10086@carrier>;tag=1"),))).number.kind is NumberKind.SHORT_CODE
    assert caller_identity(Headers((("f", "<sip:4001234567@c>;tag=1"),))).number.kind is NumberKind.TOLL_FREE
    broken = caller_identity(Headers((("From", "<<garbage"),)))
    assert broken.source is IdentitySource.NONE
    assert broken.number.normalized is None
    bad_pai = Headers((("P-Asserted-Identity", "not a uri"), ("From", "<sip:13812345678@c>;tag=1")))
    assert caller_identity(bad_pai).source is IdentitySource.FROM
