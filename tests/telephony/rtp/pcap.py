"""Read UDP payloads from a classic libpcap file (Ethernet or Linux cooked capture, IPv4) — test fixture helper."""

from __future__ import annotations

import struct
from pathlib import Path

_LINK_HEADER = {1: 14, 113: 16}  # DLT_EN10MB, DLT_LINUX_SLL


def udp_payloads(path: Path) -> list[bytes]:
    data = path.read_bytes()
    magic = data[:4]
    endian = "<" if magic == b"\xd4\xc3\xb2\xa1" else ">"
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    skip = _LINK_HEADER[linktype]
    pos, out = 24, []
    while pos + 16 <= len(data):
        incl = struct.unpack_from(endian + "I", data, pos + 8)[0]
        frame = data[pos + 16 : pos + 16 + incl]
        pos += 16 + incl
        ip = frame[skip:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 0x0F) * 4 :]
        length = struct.unpack_from("!H", udp, 4)[0]
        out.append(bytes(udp[8:length]))
    return out
