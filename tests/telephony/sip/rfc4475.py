"""RFC 4475 torture messages: expand the RFC's notation (§2) into the exact octets of each message.

``tests/data/sip/rfc4475/messages.txt`` holds the 49 messages of RFC 4475 §3 written as the RFC writes them:
every line ends in CRLF, ``<hex>…</hex>`` stands for raw octets (NUL, BEL, bare CR, UTF-8) and
``<repeat count=N>…</repeat>`` for long repeated strings. The ``.dat`` files beside it are the expansion, one per
message, named as in the RFC's Appendix B archive; ``test_rfc4475.py`` checks that both agree.
"""

from __future__ import annotations

import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "sip" / "rfc4475"
_HEX = re.compile(r"<hex>([0-9A-Fa-f]*)</hex>")
_REPEAT = re.compile(r"<repeat count=(\d+)>(.*?)</repeat>")


def expand(text: str) -> bytes:
    """One message in RFC notation → its octets (lines joined with CRLF)."""
    text = _REPEAT.sub(lambda m: m[2] * int(m[1]), text)
    out = bytearray()
    position = 0
    for match in _HEX.finditer(text):
        out += text[position:match.start()].replace("\n", "\r\n").encode("utf-8")
        out += bytes.fromhex(match[1])
        position = match.end()
    out += text[position:].replace("\n", "\r\n").encode("utf-8")
    return bytes(out)


def notation() -> dict[str, bytes]:
    """Every message of ``messages.txt`` by name, expanded, in the RFC's order."""
    messages: dict[str, bytes] = {}
    name = ""
    lines: list[str] = []
    for line in (DATA / "messages.txt").read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("=== "):
            if name:
                messages[name] = expand("".join(lines))
            name, lines = line[4:].strip(), []
        elif name:
            lines.append(line)
    if name:
        messages[name] = expand("".join(lines))
    return messages


def load(name: str) -> bytes:
    return (DATA / f"{name}.dat").read_bytes()


if __name__ == "__main__":  # regenerate the .dat files after editing messages.txt
    for message_name, data in notation().items():
        (DATA / f"{message_name}.dat").write_bytes(data)
