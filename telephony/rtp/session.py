"""One call's RTP leg: a UDP socket, a receiver thread and a paced sender thread (``telephony.media.MediaSession``).

Why not pyVoIP's ``RTPClient``: its defects sit in the core of the class, not at an edge a subclass could wrap —
it decodes to 8-bit PCM, encodes PCMA with the μ-law encoder, buffers the whole call in a BytesIO indexed by the
peer's timestamp (one forged packet allocates hundreds of MB), accepts packets from any address, polls with
10 ms sleeps, drifts in its send timing and starts a second thread pair on a re-INVITE. Fixing all of that means
rewriting every method, so media is our own (tests/telephony/rtp/test_pyvoip_defects.py shows each defect on plain
pyVoIP next to ours). Signalling (``telephony.sip``, also our own) hands over :class:`MediaParams`.

Threads: ``<name>-rtp-rx`` blocks in ``recvfrom`` with a timeout (no sleep-polling) and feeds a bounded frame
queue whose overflow drops the oldest frame (counted); ``<name>-rtp-tx`` sends one frame per 20 ms on an absolute
monotonic schedule, codec silence when nothing plays. Neither is restarted by ``update_remote``.
"""

from __future__ import annotations

import logging
import queue
import random
import socket
import threading
import time
from dataclasses import dataclass

from asr.events import FRAME_SAMPLES
from telephony.media import Codec, MediaParams
from telephony.rtp.codecs import codec_for
from telephony.rtp.inbound import ANY_HOST, InboundStream
from telephony.rtp.pacing import Pacer
from telephony.rtp.packet import RtpPacket
from telephony.rtp.playback import PlaybackQueue, PromptPlayback
from telephony.rtp.seqmath import uint16_add, uint32_add

log = logging.getLogger(__name__)

RECV_TIMEOUT_S = 0.1  # also how soon a paused stream's held frames are flushed and how soon stop() is noticed
RECV_BYTES = 2048
MAX_DTMF_DIGITS = 64


@dataclass(frozen=True, slots=True)
class RtpStats:
    packets_received: int
    packets_sent: int
    bad_packets: int
    wrong_source: int
    wrong_payload_type: int
    late: int
    duplicates: int
    lost: int
    resets: int
    rx_overflow: int
    send_errors: int
    buffered_frames: int


class RtpSession:
    def __init__(
        self,
        params: MediaParams,
        *,
        jitter_frames: int = 16,
        rx_queue_frames: int = 50,
        name: str | None = None,
    ) -> None:
        if rx_queue_frames < 1:
            raise ValueError(f"rx_queue_frames must be at least 1, got {rx_queue_frames}")
        self.params = params
        self.name = name or f"call-{params.local_port}"
        self._inbound = InboundStream(params.codec, params.dtmf_payload_type, params.remote_host, jitter_frames)
        self._frames: queue.Queue[bytes | None] = queue.Queue(maxsize=rx_queue_frames)
        self._playback = PlaybackQueue()
        self._lock = threading.Lock()
        self._remote = (params.remote_host, params.remote_port)
        self._codec = codec_for(int(params.codec))
        self._digits = ""
        self._stopping = threading.Event()
        self._sock: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._last_packet = time.monotonic()
        self._sent = self._send_errors = self._rx_overflow = 0

    def start(self) -> None:
        if self._sock is not None:
            raise RuntimeError(f"{self.name}: RTP session already started")
        family = socket.AF_INET6 if ":" in self.params.local_host else socket.AF_INET  # the SDP's IP4 / IP6
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((self.params.local_host, self.params.local_port))
        except OSError:
            sock.close()
            raise
        sock.settimeout(RECV_TIMEOUT_S)
        self._sock = sock
        self._last_packet = time.monotonic()
        self._threads = [
            threading.Thread(target=self._receive_loop, name=f"{self.name}-rtp-rx", daemon=True),
            threading.Thread(target=self._send_loop, name=f"{self.name}-rtp-tx", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def read(self, timeout: float) -> bytes | None:
        if self._stopping.is_set() and self._frames.empty():
            return None
        try:
            frame = self._frames.get(timeout=timeout)
        except queue.Empty:
            return None
        if frame is None:
            self._offer(None)  # keep the end-of-call sentinel for any later reader
        return frame

    def play(self, pcm16: bytes) -> PromptPlayback:
        return self._playback.enqueue(pcm16)

    def dtmf(self) -> str:
        with self._lock:
            digits, self._digits = self._digits, ""
        return digits

    @property
    def seconds_since_last_packet(self) -> float:
        return time.monotonic() - self._last_packet

    def update_remote(self, host: str, port: int, codec: Codec) -> None:
        with self._lock:
            self._remote = (host, port)
            self._codec = codec_for(int(codec))
            self._inbound.retarget(host, codec)
        log.info("%s: media moved to %s:%d %s", self.name, host, port, codec.name)

    def stop(self) -> None:
        self._stopping.set()
        self._playback.cancel_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        if self._sock is not None:
            self._sock.close()
        self._offer(None)

    @property
    def stats(self) -> RtpStats:
        c, j = self._inbound.counters, self._inbound.jitter
        return RtpStats(
            packets_received=c.accepted,
            packets_sent=self._sent,
            bad_packets=c.bad_packets,
            wrong_source=c.wrong_source,
            wrong_payload_type=c.wrong_payload_type,
            late=j.stats.late,
            duplicates=j.stats.duplicates,
            lost=j.stats.lost,
            resets=j.stats.resets,
            rx_overflow=self._rx_overflow,
            send_errors=self._send_errors,
            buffered_frames=len(j) + self._frames.qsize(),
        )

    def _receive_loop(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                data, source = self._sock.recvfrom(RECV_BYTES)
            except TimeoutError:
                with self._lock:
                    frames = self._inbound.flush()
                self._deliver(frames)
                continue
            except OSError as exc:
                if not self._stopping.is_set():
                    log.warning("%s: RTP receive failed: %s", self.name, exc)
                return
            with self._lock:
                accepted = self._inbound.counters.accepted
                frames, digits = self._inbound.receive(data, (source[0], source[1]))
                if self._inbound.counters.accepted != accepted:
                    self._last_packet = time.monotonic()
                if digits:
                    self._digits = (self._digits + "".join(digits))[-MAX_DTMF_DIGITS:]
            self._deliver(frames)

    def _deliver(self, frames: list[bytes]) -> None:
        for frame in frames:
            self._offer(frame)

    def _offer(self, item: bytes | None) -> None:
        """Put into the bounded frame queue; when full, drop the oldest frame (the recogniser is behind)."""
        while True:
            try:
                self._frames.put_nowait(item)
                return
            except queue.Full:
                try:
                    self._frames.get_nowait()
                    self._rx_overflow += 1
                except queue.Empty:
                    pass

    def _send_loop(self) -> None:
        assert self._sock is not None
        sequence, timestamp, ssrc = random.getrandbits(16), random.getrandbits(32), random.getrandbits(32)
        pacer = Pacer(time.monotonic())
        marker = True
        while not self._stopping.wait(pacer.delay(time.monotonic())):
            with self._lock:
                codec, remote = self._codec, self._remote
            item = self._playback.take()
            payload = codec.encode(item[0]) if item else bytes([codec.silence_byte]) * FRAME_SAMPLES
            packet = RtpPacket(codec.payload_type, sequence, timestamp, ssrc, payload, marker=marker)
            if remote[0] != ANY_HOST and remote[1]:  # c=0.0.0.0 / port 0: on hold, send nothing
                try:
                    self._sock.sendto(packet.serialize(), remote)
                    self._sent += 1
                except OSError as exc:
                    self._send_errors += 1
                    log.debug("%s: RTP send to %s:%d failed: %s", self.name, remote[0], remote[1], exc)
            if item:
                self._playback.sent(item[1])
            marker = False
            sequence = uint16_add(sequence, 1)
            timestamp = uint32_add(timestamp, FRAME_SAMPLES * pacer.advance(time.monotonic()))
