"""Structured header values: URIs, name-addr (From/To/Contact/PAI), Via, CSeq.

Accepts what real carriers and PBXs send and pyVoIP 1.6.8 drops: ``tel:`` and ``sips:`` URIs, name-addr without
angle brackets, display names with spaces or escaped quotes, parameters in any case. Only what the endpoint uses
is modelled; everything else stays a string in :class:`telephony.sip.message.Headers`.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass, field

from telephony.sip.errors import SipParseError

SCHEMES = ("sip", "sips", "tel")
DEFAULT_SIP_PORT = 5060
BRANCH_MAGIC = "z9hG4bK"  # RFC 3261 §8.1.1.7
_VIA_RE = re.compile(
    r"SIP\s*/\s*2\.0\s*/\s*(?P<transport>[A-Za-z]+)\s+(?P<hostport>\[[^\]]+\](:\d+)?|[^;\s]+)(?P<params>.*)"
)


class Transport(enum.StrEnum):
    """The SIP transports the node speaks (RFC 3261 §18), spelt as the Via's sent-protocol spells them."""

    UDP = "UDP"
    TCP = "TCP"
    TLS = "TLS"


def _params(text: str) -> dict[str, str]:
    """``;a=1;b`` → {"a": "1", "b": ""}; names lower-cased."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        out[name.strip().lower()] = value.strip().strip('"')
    return out


def _format_params(params: dict[str, str]) -> str:
    return "".join(f";{k}={v}" if v else f";{k}" for k, v in params.items())


def split_hostport(hostport: str, default_port: int | None = None) -> tuple[str, int | None]:
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else default_port
    host, _, port = hostport.partition(":")
    return host, int(port) if port.isdigit() else default_port


@dataclass(frozen=True, slots=True)
class Uri:
    scheme: str
    user: str | None
    host: str  # empty for tel: URIs
    port: int | None = None
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Uri:
        text = text.strip()
        scheme, colon, rest = text.partition(":")
        scheme = scheme.lower()
        if not colon or scheme not in SCHEMES:
            raise SipParseError(f"unsupported URI {text[:60]!r}")
        rest = rest.split("?", 1)[0]
        if scheme == "tel":
            number, _, params = rest.partition(";")
            return cls(scheme, number, "", None, _params(params))
        # userinfo may hold ';' (RFC 4475 §3.1.1.9: sip:user;par=u%40example.net@example.com): split at '@' first
        user, at, host_part = rest.rpartition("@")
        hostport, _, params = host_part.partition(";")
        host, port = split_hostport(hostport)
        if not host:
            raise SipParseError(f"URI without host {text[:60]!r}")
        return cls(scheme, user.split(":", 1)[0] if at else None, host, port, _params(params))

    def __str__(self) -> str:
        if self.scheme == "tel":
            return f"tel:{self.user}{_format_params(self.params)}"
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}:{user}{host}{port}{_format_params(self.params)}"


@dataclass(frozen=True, slots=True)
class NameAddr:
    """``"Display" <uri>;params`` or ``uri;params`` (then URI parameters belong to the header, §20.10)."""

    uri: Uri
    display: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        text = text.strip()
        if "<" in text:
            before, _, rest = text.partition("<")
            uri_text, close, after = rest.partition(">")
            if not close:
                raise SipParseError(f"unclosed '<' in {text[:60]!r}")
            display = before.strip()
            if display.startswith('"'):
                display = display[1:].rsplit('"', 1)[0].replace('\\"', '"')
            return cls(Uri.parse(uri_text), display.strip(), _params(after))
        uri_text, _, params = text.partition(";")
        return cls(Uri.parse(uri_text), "", _params(params))

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def __str__(self) -> str:
        display = f'"{self.display}" ' if self.display else ""
        return f"{display}<{self.uri}>{_format_params(self.params)}"


@dataclass(frozen=True, slots=True)
class Via:
    transport: str
    host: str
    port: int | None
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Via:
        match = _VIA_RE.match(text.strip())
        if match is None:
            raise SipParseError(f"bad Via {text[:60]!r}")
        host, port = split_hostport(match["hostport"])
        return cls(match["transport"].upper(), host, port, _params(match["params"]))

    @property
    def branch(self) -> str:
        return self.params.get("branch", "")

    @property
    def sent_by(self) -> str:
        """host:port as RFC 3261 §17.2.3 compares it (host case-insensitive, the default port made explicit)."""
        return f"{self.host.lower()}:{self.port or DEFAULT_SIP_PORT}"

    def reply_address(self, source: tuple[str, int]) -> tuple[str, int]:
        """Where responses go (RFC 3261 §18.2.2 + RFC 3581 rport): the source when rport was asked for."""
        if "rport" in self.params:
            return source
        host = self.params.get("received") or self.host
        return host, self.port or DEFAULT_SIP_PORT

    def response_address(self) -> tuple[str, int]:
        """Reply address of a Via already :meth:`stamped` by our transport."""
        host = self.params.get("received") or self.host
        rport = self.params.get("rport", "")
        return host, int(rport) if rport.isdigit() else (self.port or DEFAULT_SIP_PORT)

    def stamped(self, source: tuple[str, int]) -> Via:
        """Add ``received``/``rport`` as the server transport must (§18.2.1, RFC 3581 §4)."""
        params = dict(self.params)
        if source[0] != self.host:
            params["received"] = source[0]
        if "rport" in params:
            params["rport"] = str(source[1])
            params["received"] = source[0]
        return Via(self.transport, self.host, self.port, params)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        return f"SIP/2.0/{self.transport} {host}{port}{_format_params(self.params)}"


@dataclass(frozen=True, slots=True)
class CSeq:
    number: int
    method: str

    @classmethod
    def parse(cls, text: str) -> CSeq:
        number, _, method = text.strip().partition(" ")
        if not number.isdigit() or not method.strip():
            raise SipParseError(f"bad CSeq {text[:40]!r}")
        return cls(int(number), method.strip().upper())

    def __str__(self) -> str:
        return f"{self.number} {self.method}"


def tag_of(text: str) -> str | None:
    """The ``tag`` parameter of a From/To value whatever its URI scheme (``To: isbn:…`` must not raise)."""
    text = text.strip()
    if text.startswith('"'):
        end = 1
        while end < len(text) and text[end] != '"':
            end += 2 if text[end] == "\\" else 1
        text = text[end + 1:]
    after = text.partition(">")[2] if "<" in text else text.partition(";")[2]
    return _params(after).get("tag")


def new_branch() -> str:
    return BRANCH_MAGIC + secrets.token_hex(8)


def new_tag() -> str:
    return secrets.token_hex(6)
