"""sipp's rtp_stream and play_pcap_audio against an RtpSession: the format real test peers send.

The SIP side here is a deliberately minimal test-only UAS (answer one INVITE, answer the BYE) so that this test
exercises media alone; full call flows with sipp belong to tests/telephony/sip and tests/e2e.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest

from telephony.media import Codec, MediaParams
from telephony.rtp.codecs import PcmuCodec
from telephony.rtp.session import RtpSession
from tests.conftest import free_port, require_tool
from tests.telephony.rtp.peer import read_frames

pytestmark = pytest.mark.sip
SCENARIO = Path(__file__).parent / "data" / "uac-rtp-stream-expect-audio.xml"


def _headers(message: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in message.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() not in out:
            out[name.strip().lower()] = value.strip()
    return out


def _reply(sock: socket.socket, request: str, to: tuple[str, int], body: str = "") -> None:
    h = _headers(request)
    lines = ["SIP/2.0 200 OK", f"Via: {h['via']}", f"From: {h['from']}", f"To: {h['to']};tag=rtp-test"]
    lines += [f"Call-ID: {h['call-id']}", f"CSeq: {h['cseq']}", "Contact: <sip:media@127.0.0.1>"]
    lines += ["Content-Type: application/sdp"] if body else []
    lines += [f"Content-Length: {len(body)}", "", body]
    sock.sendto("\r\n".join(lines).encode(), to)


def test_sipp_rtp_stream_pcmu_and_rfc2833_reach_the_session(tmp_path: Path) -> None:
    sipp = require_tool("sipp")
    t = np.arange(8000) / 8000
    speech_like = (np.sin(2 * np.pi * (200 + 600 * t) * t) * 12000).astype("<i2").tobytes()
    caller = PcmuCodec().encode(speech_like)  # 1 s = 50 packets of 160 bytes
    (tmp_path / "caller.ulaw").write_bytes(caller)
    shutil.copy("/usr/share/sip-tester/dtmf_2833_1.pcap", tmp_path)
    sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sip.bind(("127.0.0.1", 0))
    sip.settimeout(10)
    command = [
        sipp,
        f"127.0.0.1:{sip.getsockname()[1]}",
        "-sf",
        str(SCENARIO),
        "-i",
        "127.0.0.1",
        "-p",
        str(free_port()),
    ]
    command += ["-mi", "127.0.0.1", "-mp", str(free_port()), "-m", "1", "-nostdin", "-timeout", "20", "-timeout_error"]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    session = None
    try:
        invite, sipp_addr = sip.recvfrom(65535)
        text = invite.decode()
        media_port = int(re.search(r"m=audio (\d+)", text).group(1))  # type: ignore[union-attr]
        params = MediaParams("127.0.0.1", free_port(), "127.0.0.1", media_port, Codec.PCMU)
        session = RtpSession(params, name="call-sipp", rx_queue_frames=100)
        session.start()
        sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        sdp += f"m=audio {params.local_port} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
        _reply(sip, text, sipp_addr, sdp)
        while not (message := sip.recv(65535).decode()).startswith("BYE"):
            pass  # ACK
        _reply(sip, message, sipp_addr)
        frames = read_frames(session, 50, timeout=1.0)
        digits = session.dtmf()
        stats = session.stats
    finally:
        if session is not None:
            session.stop()
        _, stderr = proc.communicate(timeout=20)
        sip.close()
    assert proc.returncode == 0, stderr.decode(errors="replace")
    assert b"".join(frames) == PcmuCodec().decode(caller)
    assert digits == "1"
    assert stats.wrong_source == stats.bad_packets == 0
