"""Who is calling: P-Asserted-Identity > Remote-Party-ID > From, with privacy recognised.

The network-asserted identity (PAI, RFC 3325; RPID, the older draft many Chinese carriers' SBCs still send) is
only meaningful from a trusted peer, which is what trunk mode's ACL guarantees. When the caller asked for privacy
(``Privacy: id``/``header``/``user``, RPID ``privacy=full``) and the network still asserted a number, the number is
used for screening but flagged ``withheld`` so records and the agent view can hide it. With no asserted number,
an anonymous From (``anonymous``, ``anonymous.invalid``, ``withheld`` …) or requested privacy makes the caller
anonymous. Normalisation is :func:`numbering.normalize`'s job; this module only picks the right header.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from numbering import CallerNumber, NumberKind, normalize
from telephony.sip.errors import SipParseError
from telephony.sip.headers import NameAddr
from telephony.sip.message import Headers

PRIVACY_TOKENS = frozenset({"id", "header", "user"})
_ANONYMOUS_HOSTS = ("anonymous.invalid",)


class IdentitySource(enum.StrEnum):
    PAI = "p-asserted-identity"
    RPID = "remote-party-id"
    FROM = "from"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    number: CallerNumber
    source: IdentitySource
    display: str = ""
    withheld: bool = False  # the caller asked for privacy (the number, if any, came from the network)


def _user_of(value: str) -> tuple[str, str] | None:
    """(user part, display) of a name-addr header value; None when it does not parse."""
    try:
        addr = NameAddr.parse(value)
    except SipParseError:
        return None
    user = addr.uri.user or ""
    if addr.uri.host.lower() in _ANONYMOUS_HOSTS:
        user = "anonymous"
    return user, addr.display


def _first_number(values: list[str]) -> tuple[CallerNumber, str] | None:
    """The first header value whose user part normalises to a number (PAI may carry sip: and tel: forms)."""
    for value in values:
        parsed = _user_of(value)
        if parsed is None:
            continue
        number = normalize(parsed[0])
        if number.normalized is not None:
            return number, parsed[1]
    return None


def _rpid_calling(headers: Headers) -> tuple[list[str], bool]:
    values, private = [], False
    for value in headers.get_all("Remote-Party-ID"):
        try:
            params = NameAddr.parse(value).params
        except SipParseError:
            continue
        if params.get("party", "calling").lower() != "calling":
            continue
        private = private or params.get("privacy", "off").lower() in ("full", "name", "uri")
        values.append(value)
    return values, private


def caller_identity(headers: Headers) -> CallerIdentity:
    """Pick and normalise the caller's number from an INVITE's headers. Never raises."""
    privacy = {t.strip().lower() for v in headers.get_all("Privacy") for t in v.replace(",", ";").split(";")}
    withheld = bool(privacy & PRIVACY_TOKENS)
    pai = _first_number(headers.get_all("P-Asserted-Identity"))
    if pai is not None:
        return CallerIdentity(pai[0], IdentitySource.PAI, pai[1], withheld)
    rpid_values, rpid_private = _rpid_calling(headers)
    rpid = _first_number(rpid_values)
    if rpid is not None:
        return CallerIdentity(rpid[0], IdentitySource.RPID, rpid[1], withheld or rpid_private)
    from_value = headers.get("From") or ""
    parsed = _user_of(from_value)
    if parsed is None:
        return CallerIdentity(normalize(None), IdentitySource.NONE, "", withheld)
    user, display = parsed
    if withheld or rpid_private:
        anonymous = CallerNumber(raw=user, normalized=None, kind=NumberKind.ANONYMOUS)
        return CallerIdentity(anonymous, IdentitySource.FROM, display, True)
    return CallerIdentity(normalize(user), IdentitySource.FROM, display, False)
