"""Hostile SIP datagrams: generated garbage plus mutations of real INVITE/BYE/CANCEL/OPTIONS/REFER messages.

Deterministic for a seed, so a crash found once is found again. Used by the short run in the test suite and by
``bench/sip_fuzz.py`` for the full run (10,000+ messages).
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Callable, Iterator

MAX_UDP = 65507
CRLF = "\r\n"


def _sdp(host: str, port: int, formats: str = "0 8 101") -> str:
    return (
        f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\nm=audio {port} RTP/AVP {formats}\r\n"
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    )


def base_message(method: str, target: str, source: str, rng: random.Random) -> str:
    """A well-formed request of ``method`` from ``source`` (host:port) to ``target`` (host:port)."""
    call_id = uuid.UUID(int=rng.getrandbits(128)).hex
    branch = "z9hG4bK" + uuid.UUID(int=rng.getrandbits(128)).hex[:16]
    tag = str(rng.getrandbits(32))
    host = source.split(":")[0]
    body = _sdp(host, 40000) if method == "INVITE" else ""
    headers = [
        f"{method} sip:callscreen@{target} SIP/2.0",
        f"Via: SIP/2.0/UDP {source};branch={branch};rport",
        "Max-Forwards: 70",
        f'From: "Fuzz" <sip:+8613800138000@{host}>;tag={tag}',
        f"To: <sip:callscreen@{target}>" + (";tag=zz1" if method in {"BYE", "REFER"} else ""),
        f"Call-ID: {call_id}@{host}",
        f"CSeq: {rng.randint(1, 1000)} {method if method != 'CANCEL' else 'CANCEL'}",
        f"Contact: <sip:fuzz@{source}>",
        "P-Asserted-Identity: <sip:+8613800138000@carrier.example;user=phone>",
    ]
    if method == "REFER":
        headers.append(f"Refer-To: <sip:agents@{target}>")
    if body:
        headers.append("Content-Type: application/sdp")
    headers.append(f"Content-Length: {len(body.encode())}")
    return CRLF.join(headers) + CRLF + CRLF + body


Mutation = Callable[[str, random.Random], bytes]


def _truncate(msg: str, rng: random.Random) -> bytes:
    data = msg.encode()
    return data[: rng.randint(0, len(data) - 1)]


def _drop_line(msg: str, rng: random.Random) -> bytes:
    lines = msg.split(CRLF)
    del lines[rng.randrange(len(lines))]
    return CRLF.join(lines).encode()


def _drop_required(msg: str, rng: random.Random) -> bytes:
    name = rng.choice(["Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length"])
    return CRLF.join(line for line in msg.split(CRLF) if not line.startswith(name + ":")).encode()


def _repeat_header(msg: str, rng: random.Random) -> bytes:
    head, _, body = msg.partition(CRLF + CRLF)
    lines = head.split(CRLF)
    line = rng.choice(lines[1:])
    extra = [line] * rng.randint(50, 2000)
    return (CRLF.join(lines[:1] + extra + lines[1:]) + CRLF + CRLF + body).encode()[:MAX_UDP]


def _oversize_value(msg: str, rng: random.Random) -> bytes:
    filler = "A" * rng.randint(2000, 60000)
    return msg.replace("Max-Forwards: 70", f"Subject: {filler}", 1).encode()[:MAX_UDP]


def _random_bytes(msg: str, rng: random.Random) -> bytes:
    data = bytearray(msg.encode())
    for _ in range(rng.randint(1, 40)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _bad_encoding(msg: str, rng: random.Random) -> bytes:
    junk = rng.choice([b"\xff\xfe\xfd", b"\xc3\x28", b"\x00", b"\xed\xa0\x80", "电话".encode("gb18030")])
    data = msg.encode()
    pos = rng.randrange(len(data))
    return data[:pos] + junk + data[pos:]


def _bad_numbers(msg: str, rng: random.Random) -> bytes:
    value = rng.choice(["-1", "99999999999999999999", "abc", "", "1.5", "0x10", "4294967296"])
    field = rng.choice(["CSeq: ", "Content-Length: ", "Max-Forwards: "])
    lines = []
    for line in msg.split(CRLF):
        if line.startswith(field):
            rest = line[len(field) :].split(" ", 1)
            line = field + value + (" " + rest[1] if len(rest) > 1 else "")
        lines.append(line)
    return CRLF.join(lines).encode()


def _bad_request_line(msg: str, rng: random.Random) -> bytes:
    _first, _, rest = msg.partition(CRLF)
    replacement = rng.choice(
        [
            "FROB sip:x@y SIP/2.0",
            "INVITE sip:x@y SIP/3.0",
            "INVITE SIP/2.0",
            "INVITE  sip:x@y  SIP/2.0",
            "invite sip:x@y SIP/2.0",
            "INVITE tel:+8613800138000 SIP/2.0",
            "INVITE sips:x@y SIP/2.0",
            "INVITE sip:x@[::1]:5060 SIP/2.0",
            "SIP/2.0 200 OK",
            "SIP/2.0 999 Weird",
            "SIP/2.0 abc",
            "INVITE sip:" + "9" * 5000 + "@y SIP/2.0",
            "",
            "\x00\x00\x00",
        ]
    )
    return (replacement + CRLF + rest).encode()[:MAX_UDP]


def _header_style(msg: str, rng: random.Random) -> bytes:
    compact = {
        "Via:": "v:",
        "From:": "f:",
        "To:": "t:",
        "Call-ID:": "i:",
        "Contact:": "m:",
        "Content-Length:": "l:",
        "Content-Type:": "c:",
    }
    style = rng.choice(["compact", "lower", "nospace", "folded", "tabs"])
    lines = msg.split(CRLF)
    out = []
    for line in lines:
        name = line.split(" ", 1)[0]
        if style == "compact" and name in compact:
            line = compact[name] + line[len(name) :]
        elif style == "lower" and name.endswith(":"):
            line = line.lower()
        elif style == "nospace":
            line = line.replace(": ", ":", 1)
        elif style == "folded" and name.endswith(":"):
            line = line.replace(" ", CRLF + " ", 1)
        elif style == "tabs":
            line = line.replace(": ", ":\t ", 1)
        out.append(line)
    return CRLF.join(out).encode()


def _bad_sdp(msg: str, rng: random.Random) -> bytes:
    if "m=audio" not in msg:
        return _truncate(msg, rng)
    change = rng.choice(
        [
            ("m=audio 40000 RTP/AVP 0 8 101", "m=audio 0 RTP/AVP 0"),
            ("m=audio 40000 RTP/AVP 0 8 101", "m=audio 99999999 RTP/AVP 0"),
            ("m=audio 40000 RTP/AVP 0 8 101", "m=audio 40000 RTP/AVP 18 9"),
            ("m=audio 40000 RTP/AVP 0 8 101", "m=video 40000 RTP/AVP 96"),
            ("m=audio 40000 RTP/AVP 0 8 101", "m=audio 40000 RTP/AVP 0"),
            ("c=IN IP4", "c=IN IP6 ::1 garbage"),
            ("c=IN IP4", "c=XX"),
            ("v=0", "v=1"),
            ("a=rtpmap:0 PCMU/8000", "a=rtpmap:0"),
        ]
    )
    return msg.replace(*change, 1).encode()


def _binary_blob(msg: str, rng: random.Random) -> bytes:
    return rng.randbytes(rng.choice([0, 1, 4, 100, 1400, 8000]))


def _keepalive(msg: str, rng: random.Random) -> bytes:
    return rng.choice([b"\r\n\r\n", b"\r\n", b"\x00", b"jaK"])


def _content_length_lies(msg: str, rng: random.Random) -> bytes:
    head, _, body = msg.partition(CRLF + CRLF)
    lie = rng.choice([len(body) + 500, max(0, len(body) - 30), 70000])
    head = "\r\n".join(
        f"Content-Length: {lie}" if line.startswith("Content-Length:") else line for line in head.split(CRLF)
    )
    return (head + CRLF + CRLF + body).encode()


MUTATIONS: tuple[Mutation, ...] = (
    _truncate,
    _drop_line,
    _drop_required,
    _repeat_header,
    _oversize_value,
    _random_bytes,
    _bad_encoding,
    _bad_numbers,
    _bad_request_line,
    _header_style,
    _bad_sdp,
    _binary_blob,
    _keepalive,
    _content_length_lies,
)
METHODS = ("INVITE", "BYE", "CANCEL", "OPTIONS", "REFER", "ACK", "REGISTER", "NOTIFY", "INFO", "UPDATE")


def fuzz_messages(count: int, target: str, source: str, seed: int = 1) -> Iterator[bytes]:
    """``count`` hostile datagrams aimed at ``target`` (host:port), claiming to come from ``source``.

    Every message is either a mutation of a real request or plain garbage; none is a valid new INVITE, so the
    service must answer each with an error, ignore it, or handle it as an out-of-dialog request — never crash.
    """
    rng = random.Random(seed)
    for _ in range(count):
        msg = base_message(rng.choice(METHODS), target, source, rng)
        mutation = rng.choice(MUTATIONS)
        data = mutation(msg, rng)
        if rng.random() < 0.2:  # stack a second mutation now and then
            with contextlib.suppress(ValueError, IndexError):
                data = rng.choice(MUTATIONS)(data.decode("utf-8", "replace"), rng)
        yield data[:MAX_UDP]
