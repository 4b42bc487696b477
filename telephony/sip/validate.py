"""Request validation by the book: what a UAS checks before the request reaches a call (RFC 3261 §8.2, RFC 4475).

The checks run in the order RFC 3261 §8.2 gives them, each with the answer the RFC names: malformed → 400 (the
reason in a Warning header, so the sender's engineer can see what was wrong), unsupported Request-URI scheme →
416, unknown ``Require`` → 420 with ``Unsupported``, unsupported body → 415 with ``Accept``, an ``Accept`` that
excludes SDP on INVITE → 406. Method inspection (405/501 with Allow) stays in the endpoint's router, after these:
RFC 4475 §3.1.2.18 wants 400, not 501, for an unknown method whose CSeq names another one. The version (505)
and the framing (Content-Length) are settled before this, by the parser and the endpoint.

Pure: no sockets, no state; ``check`` returns the refusal or ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telephony.sip.message import TOKEN_CHARS, SipRequest, split_list

# Header fields that carry one value (RFC 3261 §20; RFC 4475 §3.3.8, §3.3.9): a second copy is a 400.
SINGLE_VALUED = ("To", "From", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type", "Expires")
SERVED_SCHEMES = frozenset({"sip", "sips", "tel"})
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset()  # no option tag is implemented (no 100rel, no timer)
ACCEPTED_BODY = "application/sdp"
CSEQ_MAX = 2**31 - 1  # RFC 3261 §8.1.1.5
EXPIRES_MAX = 2**32 - 1  # RFC 3261 §20.19
MAX_FORWARDS_MAX = 255  # RFC 3261 §25.1 (1*DIGIT, at most 255 in practice; RFC 4475 §3.1.2.4)
_TOKEN = re.compile(rf"[{TOKEN_CHARS}]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+\-.]*):")
_PARAM = re.compile(rf"\s*[{TOKEN_CHARS}]+\s*(=\s*(\"(\\.|[^\"\\])*\"|[^;\s\"]+|\[[0-9A-Fa-f:.]+\])\s*)?")
_DATE_GMT = re.compile(r"[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT")


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    warning: str
    extra: tuple[tuple[str, str], ...] = ()

    def headers(self) -> tuple[tuple[str, str], ...]:
        """Extra response headers: the RFC's mandatory ones plus a Warning naming the reason (RFC 3261 §20.43)."""
        text = self.warning.replace("\\", "").replace('"', "'")
        return (*self.extra, ("Warning", f'399 callscreen "{text}"'))


class _MalformedError(Exception):
    """A malformed header field (internal: becomes a 400)."""


def check(request: SipRequest) -> Refusal | None:
    """The refusal the RFC asks for, or ``None`` when the request may go on to method dispatch."""
    try:
        _syntax(request)
    except _MalformedError as exc:
        return Refusal(400, str(exc))
    scheme = _SCHEME.match(request.uri)
    if scheme is not None and scheme[1].lower() not in SERVED_SCHEMES:
        return Refusal(416, f"Request-URI scheme {scheme[1]!r} is not served")
    if request.method in ("ACK", "CANCEL"):
        return None  # never refused for extensions or bodies (RFC 3261 §8.2.2.3, §9.2)
    unsupported = [tag for value in request.headers.get_all("Require") for tag in split_list(value)
                   if tag.lower() not in SUPPORTED_EXTENSIONS]
    if unsupported:
        return Refusal(420, "unsupported extension", (("Unsupported", ", ".join(unsupported)),))
    if request.method == "INVITE":
        return _invite_body(request)
    return None


def _invite_body(request: SipRequest) -> Refusal | None:
    # A body without Content-Type is taken for SDP (RFC 3261 §7.4.1 wants the header, but callers with sloppy
    # gateways must still get through: fail open); a body that says it is something else is refused.
    content_type = (request.headers.get("Content-Type") or ACCEPTED_BODY).split(";", 1)[0].strip().lower()
    if request.body.strip() and content_type != ACCEPTED_BODY:
        return Refusal(415, f"body of type {content_type!r}", (("Accept", ACCEPTED_BODY),))
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        return Refusal(415, f"content encoding {encoding!r}", (("Accept-Encoding", "identity"),))
    accept = request.headers.get_all("Accept")
    if accept:
        kinds = {part.split(";", 1)[0].strip().lower() for value in accept for part in value.split(",")}
        if not kinds & {ACCEPTED_BODY, "application/*", "*/*", ""}:
            return Refusal(406, "Accept excludes application/sdp", (("Accept", ACCEPTED_BODY),))
    return None


def _syntax(request: SipRequest) -> None:
    headers = request.headers
    for name in SINGLE_VALUED:
        if len(headers.get_all(name)) > 1:
            raise _MalformedError(f"{len(headers.get_all(name))} {name} header fields")
    _request_uri(request.uri)
    number, _, method = (headers.get("CSeq") or "").strip().partition(" ")
    if not number.isdigit() or int(number) > CSEQ_MAX:
        raise _MalformedError(f"CSeq number {number[:30]!r} out of range")
    if method.strip() != request.method:
        raise _MalformedError(f"CSeq method {method.strip()[:30]!r} is not the request's {request.method[:30]!r}")
    _number(headers.get("Max-Forwards"), "Max-Forwards", MAX_FORWARDS_MAX)
    _number(headers.get("Expires"), "Expires", EXPIRES_MAX)
    for name in ("From", "To"):
        _name_addr(headers.get(name) or "", name, contact=False)
    for value in headers.get_all("Contact"):
        if value.strip() != "*":
            _name_addr(value, "Contact", contact=True)
    for value in headers.get_all("Via"):
        host, _, params = value.partition(";")
        if not host.strip():
            raise _MalformedError("empty Via value")
        _params(";" + params if params or value.rstrip().endswith(";") else "", "Via")
    date = headers.get("Date")
    if date is not None and not _DATE_GMT.fullmatch(date.strip()):
        raise _MalformedError(f"Date {date[:40]!r} is not an RFC 1123 date in GMT")


def _request_uri(uri: str) -> None:
    if any(ch in uri for ch in "<> \t\""):
        raise _MalformedError("Request-URI with '<', '>', quotes or whitespace")
    scheme = _SCHEME.match(uri)
    if scheme is None:
        raise _MalformedError(f"Request-URI {uri[:40]!r} has no scheme")
    if scheme[1].lower() in ("sip", "sips"):
        host_part = uri[len(scheme[0]):].rpartition("@")[2]  # '?' is legal in the user part (RFC 4475 §3.1.1.2)
        if "?" in host_part:
            raise _MalformedError("headers in a SIP Request-URI")  # RFC 3261 §19.1.1 table: not allowed there
        if not host_part.split(";", 1)[0]:
            raise _MalformedError("Request-URI without host")


def _number(value: str | None, name: str, limit: int) -> None:
    if value is not None and (not value.strip().isdigit() or int(value) > limit):
        raise _MalformedError(f"{name} {value[:30]!r} is not a number up to {limit}")


def _params(text: str, name: str) -> None:
    """``;p1=v1;p2`` — every parameter non-empty and a token (RFC 4475 §3.1.2.1: ``;;,;,,`` is a 400)."""
    if not text.strip():
        return
    if not text.lstrip().startswith(";"):
        raise _MalformedError(f"{name}: text after the address: {text.strip()[:30]!r}")
    for part in _split_params(text.lstrip()[1:]):
        if not _PARAM.fullmatch(part):
            raise _MalformedError(f"{name}: bad parameter {part[:30]!r}")


def _split_params(text: str) -> list[str]:
    parts, current, quoted, escaped = [], "", False, False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return parts


def _name_addr(value: str, name: str, *, contact: bool) -> None:
    """``display <uri>;params`` or ``uri;params`` (RFC 3261 §20.10, RFC 4475 §3.1.2.6, .13–.15)."""
    text = value.strip()
    if not text:
        raise _MalformedError(f"empty {name}")
    display = ""
    if text.startswith('"'):
        end, escaped = 1, False
        while end < len(text):
            if escaped:
                escaped = False
            elif text[end] == "\\":
                escaped = True
            elif text[end] == '"':
                break
            end += 1
        else:
            raise _MalformedError(f"{name}: unterminated quoted display name")
        rest = text[end + 1:].lstrip()
        if not rest.startswith("<"):
            raise _MalformedError(f"{name}: quoted display name without <URI>")
        text = rest
    elif "<" in text:
        display, _, after = text.partition("<")
        if display.strip() and not all(_TOKEN.fullmatch(word) for word in display.split()):
            raise _MalformedError(f"{name}: display name {display.strip()[:30]!r} must be quoted")
        text = "<" + after
    if text.startswith("<"):
        uri, close, params = text[1:].partition(">")
        if not close:
            raise _MalformedError(f"{name}: unclosed '<'")
        if not uri or uri != uri.strip() or any(ch.isspace() for ch in uri):
            raise _MalformedError(f"{name}: whitespace inside <addr-spec>")
        if _SCHEME.match(uri) is None:
            raise _MalformedError(f"{name}: URI without scheme")
        _params(params, name)
        return
    uri, semi, params = text.partition(";")
    uri = uri.strip()
    if any(ch.isspace() for ch in uri) or _SCHEME.match(uri) is None or '"' in uri:
        raise _MalformedError(f"{name}: bad addr-spec {uri[:30]!r}")
    if contact and any(ch in uri for ch in ",?"):
        raise _MalformedError(f"{name}: a URI with ',' or '?' must be enclosed in <> (RFC 3261 §20.10)")
    _params(semi + params, name)
