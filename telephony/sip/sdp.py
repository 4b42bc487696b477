"""SDP offer/answer for one audio stream (RFC 4566, RFC 3264): G.711 PCMU/PCMA and telephone-event.

Tolerant where pyVoIP 1.6.8 is not: an ``a=rtpmap`` for a payload type that is not on the ``m=`` line is ignored
(pyVoIP raised UnboundLocalError and silently dropped the INVITE), unknown attributes and extra media lines are
skipped, dynamic payload types are matched by their rtpmap name. Our preference is the offerer's order among the
codecs we speak. What is *not* here: SRTP, video, ICE.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from telephony.media import Codec
from telephony.sip.errors import SdpError

_CODEC_NAMES = {"PCMU": Codec.PCMU, "PCMA": Codec.PCMA}
TELEPHONE_EVENT = "telephone-event"
HOLD_ADDRESSES = ("0.0.0.0", "::")


@dataclass(frozen=True, slots=True)
class SdpOffer:
    host: str
    port: int
    payload_types: tuple[int, ...]
    rtpmap: dict[int, str]  # payload type -> encoding name (upper-case), only for PTs on the m= line
    direction: str = "sendrecv"

    @property
    def on_hold(self) -> bool:
        return self.host in HOLD_ADDRESSES or self.direction in ("sendonly", "inactive")


@dataclass(frozen=True, slots=True)
class SdpChoice:
    codec: Codec
    dtmf_payload_type: int | None


@dataclass(frozen=True, slots=True)
class MediaHosts:
    """Our media address per address family: the answer takes the offer's (RFC 4566 §5.7 ``IN IP4``/``IN IP6``).

    A caller that offers IPv6 media sends from and listens on an IPv6 address, which an IPv4 socket can neither
    reach nor hear: the answer's ``c=`` must be our IPv6 address, and RTP flows over IPv6 both ways."""

    ipv4: str
    ipv6: str | None = None

    def for_offer(self, offer_host: str) -> str:
        if ":" not in offer_host:
            return self.ipv4
        if self.ipv6 is None:
            raise SdpError("IPv6 media offered, but this node has no IPv6 address (sip.bind_host6)")
        return self.ipv6


def parse_offer(body: bytes) -> SdpOffer:
    text = body.decode("utf-8", errors="replace")
    session_host: str | None = None
    media_host: str | None = None
    port: int | None = None
    pts: tuple[int, ...] = ()
    names: dict[int, str] = {}
    direction = "sendrecv"
    in_audio = False
    for raw in text.splitlines():
        line = raw.strip()
        kind, eq, value = line.partition("=")
        if not eq:
            continue
        if kind == "m":
            fields = value.split()
            in_audio = port is None and len(fields) >= 4 and fields[0] == "audio" and fields[1].isdigit()
            if in_audio:
                port = int(fields[1])
                pts = tuple(int(f) for f in fields[3:] if f.isdigit())
        elif kind == "c":
            address = value.split()[-1].split("/")[0] if value.split() else ""
            if port is None:
                session_host = address
            elif in_audio:
                media_host = address
        elif kind == "a" and (in_audio or port is None):
            if value.startswith("rtpmap:"):
                pt_text, _, encoding = value[len("rtpmap:") :].partition(" ")
                if pt_text.isdigit():
                    names[int(pt_text)] = encoding.split("/")[0].strip().upper()
            elif value in ("sendrecv", "sendonly", "recvonly", "inactive"):
                direction = value
    host = media_host or session_host
    if port is None or host is None:
        raise SdpError("SDP has no audio stream with a connection address")
    return SdpOffer(host, port, pts, {pt: names[pt] for pt in pts if pt in names}, direction)


def choose(offer: SdpOffer, allowed: tuple[Codec, ...] = (Codec.PCMU, Codec.PCMA)) -> SdpChoice:
    """The first offered codec we speak, and the offerer's telephone-event payload type if any."""
    codec: Codec | None = None
    for pt in offer.payload_types:
        name = offer.rtpmap.get(pt)
        candidate = _CODEC_NAMES.get(name) if name else (Codec(pt) if pt in (0, 8) else None)
        if candidate is not None and candidate in allowed:
            codec = candidate
            break
    if codec is None:
        raise SdpError(f"no common audio codec in offer {list(offer.payload_types)} (we speak PCMU, PCMA)")
    dtmf = next((pt for pt in offer.payload_types if offer.rtpmap.get(pt) == TELEPHONE_EVENT.upper()), None)
    return SdpChoice(codec, dtmf)


def build_answer(host: str, port: int, choice: SdpChoice, session_id: int | None = None) -> bytes:
    sid = session_id if session_id is not None else secrets.randbelow(2**31)
    pts = [str(int(choice.codec))]
    attrs = [f"a=rtpmap:{int(choice.codec)} {choice.codec.name}/8000"]
    if choice.dtmf_payload_type is not None:
        pts.append(str(choice.dtmf_payload_type))
        attrs += [
            f"a=rtpmap:{choice.dtmf_payload_type} {TELEPHONE_EVENT}/8000",
            f"a=fmtp:{choice.dtmf_payload_type} 0-15",
        ]
    family = "IP6" if ":" in host else "IP4"
    lines = [
        "v=0",
        f"o=callscreen {sid} {sid} IN {family} {host}",
        "s=callscreen",
        f"c=IN {family} {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(pts)}",
        *attrs,
        "a=ptime:20",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()
