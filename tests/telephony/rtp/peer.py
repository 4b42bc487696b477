"""A raw UDP RTP peer for loopback tests: sends hand-built packets to a session and captures what it sends."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from telephony.media import Codec, MediaParams
from telephony.rtp.packet import RtpPacket
from telephony.rtp.session import RtpSession
from tests.conftest import free_port


class RawPeer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(2.0)
        self.host, self.port = self.sock.getsockname()

    def send(self, packets: Iterable[RtpPacket | bytes], to: tuple[str, int]) -> None:
        for packet in packets:
            self.sock.sendto(packet if isinstance(packet, bytes) else packet.serialize(), to)

    def capture(self, count: int) -> list[RtpPacket]:
        return [RtpPacket.parse(self.sock.recv(2048)) for _ in range(count)]

    def close(self) -> None:
        self.sock.close()


@contextmanager
def session_with_peer(codec: Codec, **kwargs: int) -> Iterator[tuple[RtpSession, RawPeer]]:
    peer = RawPeer()
    params = MediaParams("127.0.0.1", free_port(), peer.host, peer.port, codec)
    session = RtpSession(params, name="call-test", **kwargs)
    session.start()
    try:
        yield session, peer
    finally:
        session.stop()
        peer.close()


def read_frames(session: RtpSession, count: int, timeout: float = 2.0) -> list[bytes]:
    frames = []
    for _ in range(count):
        frame = session.read(timeout)
        if frame is None:
            break
        frames.append(frame)
    return frames


def stream(
    payloads: Iterable[bytes], pt: int, *, seq0: int = 1000, ts0: int = 0, ssrc: int = 0x1234
) -> list[RtpPacket]:
    out, ts = [], ts0
    for i, payload in enumerate(payloads):
        out.append(RtpPacket(pt, (seq0 + i) % 65536, ts % 2**32, ssrc, payload, marker=i == 0))
        ts += len(payload)
    return out


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Test-side wait for the receiver thread to catch up (bounded; the library itself never polls)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.005)
    return True


def drain(session: RtpSession) -> int:
    count = 0
    while session.read(0.0) is not None:
        count += 1
    return count
