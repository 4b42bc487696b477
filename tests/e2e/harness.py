"""Loopback harness for the end-to-end SIP tests: a real callscreen service, sipp as the caller, an RTP sink.

The service is the real composition root (``build_service``) with real SQLite records, the real screening engine,
real RTP and prompts; only the recogniser is the replay double (``tests/telephony/replay_recognizer.py``).
sipp streams synthesised Mandarin (espeak-ng ``cmn`` → sox G.711, made at test time) from its media port, while
the SDP it sends points callscreen's outgoing RTP at :class:`RtpSink`, so the test can decode what callers hear.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from asr.events import TranscriberFactory
from callscreen.service import Service, build_service
from callscreen.settings import Settings
from records.lists import EntryDraft, create_entry
from records.models import ScreenedCall
from records.repository_calls import CallFilter, query_calls
from screening.numberlist import EntrySource, ListName, MatchKind
from telephony.wallclock import WallClock
from tests.conftest import DAYTIME_HOUR, clock_offset_to, free_port, require, require_tool
from tests.telephony.replay_recognizer import ReplayTranscriberFactory, Utterance

SCENARIOS = Path(__file__).parent / "scenarios"
CALLER_NUMBER = "+8613812345678"
CALLER_FROM = '"Caller" <sip:13812345678@carrier.example>'
CALLER_PAI = "P-Asserted-Identity: <tel:+8613812345678>"
LEGIT_TEXT = "你好，我想查一下我的订单，快递三天了还没到，能帮我看看吗"
HARASS_TEXT = "你个傻逼，我操你妈，你声音真骚，陪我聊聊天嘛，哈哈哈"
CODECS = {"PCMU": (0, "ul"), "PCMA": (8, "al")}
SIPP_TIMEOUT_S = 60


CALL_TOOLS = ("sipp", "espeak-ng", "sox")  # a sipp caller speaking synthetic Mandarin


def require_call_tools() -> None:
    """Skip (or fail when CI=true) unless sipp, espeak-ng and sox are installed."""
    for tool in CALL_TOOLS:
        require_tool(tool)


def require_sipp_tls() -> str:
    """The TLS-capable sipp that ``scripts/sipp-tls.sh`` keeps in its cache (Debian 12's sipp has no TLS).

    Skips (or fails when CI=true) when it is missing; ``scripts/test.sh`` runs the script before the suite."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "callscreen" / "sipp-tls" / "sipp"
    require(os.access(cache, os.X_OK), f"no TLS-capable sipp at {cache} (scripts/sipp-tls.sh fetches it)")
    return str(cache)


def make_caller_audio(directory: Path, text: str, codec: str) -> Path:
    """espeak-ng Mandarin → 8 kHz mono raw G.711 (sipp streams file bytes verbatim, so no WAV header)."""
    wav = directory / "caller.wav"
    raw = directory / "caller.raw"
    subprocess.run(["espeak-ng", "-v", "cmn", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    subprocess.run(["sox", str(wav), "-r", "8000", "-c", "1", "-t", CODECS[codec][1], str(raw)], check=True,
                   capture_output=True)
    return raw


def make_settings(tmp: Path, *, sipp_port: int, **overrides: Mapping[str, object]) -> Settings:
    rtp_low = free_port()
    rtp_low -= rtp_low % 2
    sections: dict[str, dict[str, object]] = {
        "sip": {"port": free_port(), "agents_uri": f"sip:agents@127.0.0.1:{sipp_port}",
                "fallback_uri": f"sip:fallback@127.0.0.1:{sipp_port}", "answer_delay_ms": 100,
                "transfer_notify_timeout_s": 5.0, "drain_timeout_s": 2.0},
        "rtp": {"port_min": rtp_low, "port_max": rtp_low + 200, "media_timeout_s": 3.0},
        "database": {"url": f"sqlite:///{tmp}/callscreen.db"},
        "api": {"enabled": False},
        "asr": {"model_path": str(tmp / "no-model")},
    }
    for name, values in overrides.items():
        sections.setdefault(name, {}).update(values)
    return Settings.model_validate({"data_dir": tmp / "var", "clock_offset_s": clock_offset_to(DAYTIME_HOUR),
                                    **sections})


@dataclass
class Loopback:
    tmp: Path
    service: Service
    replay: ReplayTranscriberFactory
    sipp_port: int = field(default_factory=free_port)
    media_port: int = field(default_factory=free_port)

    @property
    def sip_port(self) -> int:
        return self.service.endpoint.local.port

    def add_entry(self, list_name: ListName, value: str = CALLER_NUMBER) -> None:
        with self.service.db.session() as session:
            create_entry(session, EntryDraft(list_name, MatchKind.EXACT, value, source=EntrySource.MANAGER),
                         actor="test")
        self.service.list_sync.load()

    def sipp(self, scenario: str, *, codec: str = "PCMU", sink_port: int | None = None, service_user: str = "sales",
             calls: int = 1, rate: int = 1, loops: int = -1, extra: tuple[str, ...] = (),
             replace: tuple[tuple[str, str], ...] = (), target: str = "", caller_from: str = CALLER_FROM,
             hdr1: str = CALLER_PAI, binary: str = "sipp") -> subprocess.CompletedProcess[str]:
        pt = CODECS[codec][0]
        keys = {"caller_from": caller_from, "hdr1": hdr1, "codec_pt": str(pt), "codec_name": codec,
                "sink_port": str(sink_port or free_port())}
        # sipp 3.6 does not substitute keywords inside <exec rtp_stream=...>: fill the payload type in a copy.
        text = (SCENARIOS / scenario).read_text()
        copy = self.tmp / scenario
        for old, new in replace:  # e.g. another agents address expected in the Refer-To
            text = text.replace(old, new)
        copy.write_text(text.replace('rtp_stream="caller.raw,-1,[codec_pt]"', f'rtp_stream="caller.raw,{loops},{pt}"'))
        args = [binary, target or f"127.0.0.1:{self.sip_port}", "-sf", str(copy), "-i", "127.0.0.1",
                "-p", str(self.sipp_port), "-mi", "127.0.0.1", "-mp", str(self.media_port), "-s", service_user,
                "-m", str(calls), "-l", str(calls), "-r", str(rate), "-nostdin", "-timeout", f"{SIPP_TIMEOUT_S}s",
                "-timeout_error", "-trace_err", "-trace_msg", *extra]
        for key, value in keys.items():
            args += ["-key", key, value]
        return subprocess.run(args, cwd=self.tmp, capture_output=True, text=True, timeout=SIPP_TIMEOUT_S + 30)

    def records(self, expected: int = 1, wait_s: float = 8.0) -> list[ScreenedCall]:
        """Call records as the records layer stored them (waits for the flow to finish writing)."""
        deadline = time.monotonic() + wait_s
        while True:
            with self.service.db.session() as session:
                rows, _ = query_calls(session, CallFilter(), limit=200)
            if len(rows) >= expected or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)

    def sipp_log(self, tail: int = 4000) -> str:
        """The end of sipp's message logs (``tail`` characters of each; 0: all of them)."""
        return "\n".join(p.read_text(errors="replace")[-tail:] for p in self.tmp.glob("*_messages.log"))


def start_loopback(
    tmp: Path, script: tuple[Utterance, ...], *, fail_at_s: float | None = None,
    transcribers: TranscriberFactory | None = None, sipp_port: int | None = None, clock: WallClock | None = None,
    **overrides: Mapping[str, object]
) -> Loopback:
    replay = ReplayTranscriberFactory(script, fail_at_s)
    sipp_port = sipp_port or free_port()
    settings = make_settings(tmp, sipp_port=sipp_port, **overrides)
    service = build_service(settings, transcribers=transcribers or replay, clock=clock)
    loop = Loopback(tmp, service, replay, sipp_port=sipp_port)
    service.start()
    return loop


class RtpSink:
    """Receives what callscreen sends to the caller: (payload type, sequence, payload) per packet."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sources: set[str] = set()  # the addresses callscreen's RTP came from
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.packets: list[tuple[int, int, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-rtp-sink", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            self.sources.add(source[0])
            if len(data) < 12:
                continue
            first, second, seq = struct.unpack("!BBH", data[:4])
            header = 12 + 4 * (first & 0x0F)
            self.packets.append((second & 0x7F, seq, data[header:]))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()

    def payload(self) -> bytes:
        return b"".join(p for _, _, p in sorted(self.packets, key=lambda item: item[1]))
