"""SIP messages: typed parse and format (RFC 3261 §7).

Unlike pyVoIP 1.6.8 (``line.split(": ")``, first occurrence wins, case-sensitive names, no compact forms, any odd
line drops the whole message), headers here are an ordered tuple of ``(name, value)`` pairs: names are matched
case-insensitively and compact forms (``v f t i m l`` …) are expanded to their canonical names, repeated headers
keep their order, unknown headers are preserved verbatim. ``format`` is the inverse of ``parse`` up to that
canonicalisation. Bad input raises :class:`SipParseError` naming the line. Parsing of header *values*
(name-addr, Via, CSeq) lives in :mod:`telephony.sip.headers`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace

from telephony.sip.errors import SipParseError

SIP_VERSION = "SIP/2.0"
MAX_MESSAGE_BYTES = 65535
# RFC 3261 §7.3.3 and the IANA registry of compact forms.
COMPACT_FORMS = {
    "v": "Via",
    "f": "From",
    "t": "To",
    "i": "Call-ID",
    "m": "Contact",
    "l": "Content-Length",
    "c": "Content-Type",
    "e": "Content-Encoding",
    "k": "Supported",
    "s": "Subject",
    "o": "Event",
    "r": "Refer-To",
    "b": "Referred-By",
    "u": "Allow-Events",
    "x": "Session-Expires",
}
_CANONICAL = {
    name.lower(): name
    for name in (
        *COMPACT_FORMS.values(),
        "CSeq",
        "Max-Forwards",
        "Record-Route",
        "Route",
        "User-Agent",
        "Server",
        "Allow",
        "Accept",
        "WWW-Authenticate",
        "Authorization",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "P-Asserted-Identity",
        "Remote-Party-ID",
        "Privacy",
        "Expires",
        "Subscription-State",
        "Retry-After",
        "Diversion",
        "Reason",
        "Require",
        "Unsupported",
        "Warning",
    )
}
# Headers whose comma-separated values are separate entries (RFC 3261 §7.3.1).
LIST_HEADERS = frozenset({"Via", "Route", "Record-Route", "Contact", "Allow", "Supported", "Require"})


def canonical_name(name: str) -> str:
    """Compact forms expand, known names get their registered spelling, unknown names stay as sent."""
    stripped = name.strip()
    lower = stripped.lower()
    if lower in COMPACT_FORMS:
        return COMPACT_FORMS[lower]
    return _CANONICAL.get(lower, stripped)


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, ignoring commas inside quotes and angle brackets."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, ch in enumerate(value):
        if ch == '"' and (i == 0 or value[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth = max(0, depth - 1)
        elif ch == "," and not quoted and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


@dataclass(frozen=True, slots=True)
class Headers:
    """Ordered, case-insensitive header list."""

    items: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        wanted = canonical_name(name).lower()
        for key, value in self.items:
            if canonical_name(key).lower() == wanted:
                return value
        return None

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name`` in order; list headers are split at top-level commas."""
        canon = canonical_name(name)
        values = [value for key, value in self.items if canonical_name(key).lower() == canon.lower()]
        if canon in LIST_HEADERS:
            return [part for value in values for part in split_list(value)]
        return values

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def without(self, name: str) -> Headers:
        wanted = canonical_name(name).lower()
        return Headers(tuple(item for item in self.items if canonical_name(item[0]).lower() != wanted))

    def with_added(self, name: str, value: str) -> Headers:
        return Headers((*self.items, (canonical_name(name), value)))

    def with_set(self, name: str, value: str) -> Headers:
        """Replace every occurrence of ``name`` by one value, at the position of the first one (or at the end)."""
        wanted = canonical_name(name).lower()
        out: list[tuple[str, str]] = []
        placed = False
        for key, old in self.items:
            if canonical_name(key).lower() != wanted:
                out.append((key, old))
            elif not placed:
                out.append((key, value))
                placed = True
        if not placed:
            out.append((canonical_name(name), value))
        return Headers(tuple(out))


class _Message:
    """What requests and responses share: headers, body, the start line decides the rest."""

    __slots__ = ()
    headers: Headers
    body: bytes

    def start_line(self) -> str:
        raise NotImplementedError

    def format(self) -> bytes:
        return _format(self.start_line(), self.headers, self.body)

    @property
    def call_id(self) -> str:
        return self.headers.get("Call-ID") or ""


@dataclass(frozen=True, slots=True)
class SipRequest(_Message):
    method: str
    uri: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = SIP_VERSION  # another version is parsed so that it can be answered 505 (RFC 3261 §8.2.2)

    def start_line(self) -> str:
        return f"{self.method} {self.uri} {self.version}"


@dataclass(frozen=True, slots=True)
class SipResponse(_Message):
    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def start_line(self) -> str:
        return f"{SIP_VERSION} {self.status} {self.reason}"


SipMessage = SipRequest | SipResponse


def _format(start_line: str, headers: Headers, body: bytes) -> bytes:
    headers = headers.with_set("Content-Length", str(len(body)))
    lines = [start_line, *(f"{name}: {value}" for name, value in headers.items)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def with_body(message: SipRequest, content_type: str, body: bytes) -> SipRequest:
    return replace(message, headers=message.headers.with_set("Content-Type", content_type), body=body)


def _split_head(data: bytes) -> tuple[str, bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = data.partition(separator)
        if found:
            return head.decode("utf-8", errors="replace"), body
    return data.decode("utf-8", errors="replace"), b""


def _header_lines(head_lines: list[str]) -> list[tuple[int, str]]:
    """Unfold continuation lines (RFC 3261 §7.3.1); keep 1-based line numbers for errors."""
    unfolded: list[tuple[int, str]] = []
    for number, line in enumerate(head_lines[1:], start=2):
        if line[:1] in (" ", "\t") and unfolded:
            prev_number, prev = unfolded[-1]
            unfolded[-1] = (prev_number, prev + " " + line.strip())
        elif line.strip():
            unfolded.append((number, line))
    return unfolded


# RFC 3261 §25.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF — one SP each, nothing after; the
# method is a token (lower case and '%' included: RFC 4475 §3.1.1.2 and §3.1.1.5 are unknown methods, not garbage).
TOKEN_CHARS = r"A-Za-z0-9\-.!%*_+`'~"
_REQUEST_LINE = re.compile(rf"([{TOKEN_CHARS}]+) ([^ \t]+) (SIP/\d+\.\d+)")
_STATUS_LINE = re.compile(r"SIP/2\.0 (\d{3}) (.*)|SIP/2\.0 (\d{3})")
_HEADER_NAME = re.compile(rf"[{TOKEN_CHARS}]+")


def parse(data: bytes) -> SipMessage:
    """Parse one datagram. Leading CRLF keep-alives are skipped; the body is cut to Content-Length.

    A request whose headers are readable but whose Request-Line or Content-Length is malformed raises
    :class:`SipParseError` with ``partial`` set, so the transport can still answer 400.
    """
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipParseError(f"message of {len(data)} bytes is larger than {MAX_MESSAGE_BYTES}")
    head, body = _split_head(data.lstrip(b"\r\n"))
    head_lines = head.replace("\r\n", "\n").split("\n")
    start = head_lines[0]
    if not start.strip():
        raise SipParseError("empty message", line=1)
    items: list[tuple[str, str]] = []
    for number, line in _header_lines(head_lines):
        name, colon, value = line.partition(":")
        if not colon or not _HEADER_NAME.fullmatch(name.strip()):
            raise SipParseError(f"header line without a name and colon: {line[:60]!r}", line=number)
        items.append((canonical_name(name), value.strip()))
    headers = Headers(tuple(items))
    if start.startswith("SIP/"):
        status = _STATUS_LINE.fullmatch(start)
        if status is None:
            raise SipParseError(f"bad status line {start[:60]!r}", line=1)
        return SipResponse(int(status[1] or status[3]), status[2] or "", headers, _cut_body(headers, body))
    request = _REQUEST_LINE.fullmatch(start)
    if request is None:
        method, _, rest = start.partition(" ")
        partial = SipRequest(method or "?", rest.rsplit(" ", 1)[0], headers)
        raise SipParseError(f"bad request line {start[:60]!r}", line=1, partial=partial)
    try:
        cut = _cut_body(headers, body)
    except SipParseError as exc:
        raise SipParseError(exc.reason, partial=SipRequest(request[1], request[2], headers)) from exc
    return SipRequest(request[1], request[2], headers, cut, request[3])


def _cut_body(headers: Headers, body: bytes) -> bytes:
    length_text = headers.get("Content-Length")
    if length_text is None:
        return body  # optional over UDP (RFC 3261 §18.3): the datagram ends the body
    if not length_text.isdigit():
        raise SipParseError(f"Content-Length {length_text!r} is not a number")
    length = int(length_text)
    if length > len(body):
        raise SipParseError(f"body is {len(body)} bytes, Content-Length says {length} (truncated datagram)")
    return body[:length]


REASONS = {
    100: "Trying",
    180: "Ringing",
    200: "OK",
    202: "Accepted",
    302: "Moved Temporarily",
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    483: "Too Many Hops",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "Version Not Supported",
    603: "Decline",
}
COPIED_TO_RESPONSE = ("Via", "From", "To", "Call-ID", "CSeq")  # RFC 3261 §8.2.6.2


def make_response(
    request: SipRequest,
    status: int,
    *,
    to_tag: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> SipResponse:
    """A response that copies Via (all, in order), From, To, Call-ID and CSeq; adds a To tag above 100.

    RFC 3261 §8.2.6.2: a UAS MUST add a tag to a To without one in every response but 100 — a fresh one when the
    caller names none (a refusal creates no dialog, but the client still needs the tag to match its ACK).

    A response that establishes a dialog (101–299 to INVITE) also copies every Record-Route value in order
    (RFC 3261 §12.1.1): without it the caller has no route set and its ACK, BYE and NOTIFY bypass — or are
    refused by — the proxy that record-routed the call.
    """
    items: list[tuple[str, str]] = []
    dialog_forming = request.method == "INVITE" and 100 < status < 300
    for name, value in request.headers.items:
        if name in COPIED_TO_RESPONSE or (dialog_forming and name == "Record-Route"):
            if name == "To" and status > 100 and ";tag=" not in value.replace(" ", "").lower():
                value = f"{value};tag={to_tag or secrets.token_hex(6)}"
            items.append((name, value))
    items.extend(extra)
    if content_type is not None:
        items.append(("Content-Type", content_type))
    return SipResponse(status, REASONS.get(status, "Unknown"), Headers(tuple(items)), body)
