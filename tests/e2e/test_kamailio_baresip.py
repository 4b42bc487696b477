"""A real softphone through a real proxy: baresip calls callscreen through Kamailio, is screened and transferred.

Kamailio (Debian's package, config in tests/e2e/kamailio/) is the registrar/proxy in front of callscreen, which
runs in register mode as extension ``screen``. baresip registers nothing (it uses Kamailio as outbound proxy),
dials ``sip:screen@kamailio`` and sends synthesised Mandarin from a WAV file. callscreen screens it (replay
recogniser double over the real audio path, real screening engine) and REFERs baresip to the agents, which sipp
plays; baresip executes the transfer and reports it with NOTIFY sipfrag 200.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from screening.interfaces import Route
from tests.conftest import free_port, require_tool
from tests.e2e.harness import CALLER_NUMBER, LEGIT_TEXT, SCENARIOS, start_loopback
from tests.telephony.replay_recognizer import Utterance

pytestmark = [pytest.mark.sip, pytest.mark.kamailio, pytest.mark.slow]
KAMAILIO_CFG = Path(__file__).parent / "kamailio" / "callscreen-proxy.cfg"
BARESIP_MODULES = "/usr/lib/baresip/modules"


def _popen(args: list[str], cwd: Path, log: str) -> subprocess.Popen[bytes]:
    with (cwd / log).open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(params=["udp", "tcp"])
def kamailio(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[int, str]]:
    """Kamailio in front; with ``tcp`` it relays the calls to callscreen over TCP (RFC 3261 §18 both ways)."""
    binary = require_tool("kamailio")
    port = free_port()
    run_dir = tmp_path / "kamailio"
    run_dir.mkdir()
    to_node = ["-A", "NODE_TCP"] if request.param == "tcp" else []
    process = _popen([binary, "-f", str(KAMAILIO_CFG), "-A", f"KAMAILIO_PORT={port}", *to_node, "-DD", "-E",
                      "-n", "1", "-m", "64", "-M", "8", "-Y", str(run_dir)], tmp_path, "kamailio.log")
    time.sleep(1.0)
    assert process.poll() is None, (tmp_path / "kamailio.log").read_text()[-2000:]
    yield port, request.param
    _stop(process)


def _baresip_config(directory: Path, kamailio_port: int) -> None:
    directory.mkdir()
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(directory / "raw.wav"), LEGIT_TEXT + "。" + LEGIT_TEXT],
                   check=True, capture_output=True)
    subprocess.run(["sox", str(directory / "raw.wav"), "-r", "8000", "-c", "1", "-b", "16",
                    str(directory / "caller.wav")], check=True, capture_output=True)
    rtp_low = free_port()
    (directory / "config").write_text(
        f"poll_method\tepoll\nnet_interface\t127.0.0.1\nsip_listen\t127.0.0.1:{free_port()}\nmodule_path\t{BARESIP_MODULES}\n"
        "module\tg711.so\nmodule\taufile.so\nmodule\tmenu.so\nmodule\taccount.so\n"
        f"audio_source\taufile,{directory / 'caller.wav'}\naudio_player\taufile,{directory / 'heard.wav'}\n"
        f"rtp_ports\t{rtp_low}-{rtp_low + 20}\n"
    )
    (directory / "accounts").write_text(
        f'<sip:13812345678@127.0.0.1:{kamailio_port}>;regint=0;outbound="sip:127.0.0.1:{kamailio_port}"\n'
    )


def test_baresip_through_kamailio_is_screened_and_transferred(tmp_path: Path, kamailio: tuple[int, str]) -> None:
    kamailio_port, to_node = kamailio
    for tool in ("baresip", "sipp", "espeak-ng", "sox"):
        require_tool(tool)
    agents_port = free_port()
    agents = _popen(["sipp", "-sf", str(SCENARIOS / "uas-agents-expect-transferred-call.xml"), "-i", "127.0.0.1",
                     "-p", str(agents_port), "-mi", "127.0.0.1", "-mp", str(free_port()), "-m", "1", "-nostdin",
                     "-timeout", "60s", "-timeout_error", "-trace_err"], tmp_path, "agents.log")
    loop = start_loopback(tmp_path, (Utterance(1.5, LEGIT_TEXT),), sip={
        "mode": "register", "registrar": f"127.0.0.1:{kamailio_port}", "username": "screen",
        "agents_uri": f"sip:agents@127.0.0.1:{agents_port}"}, rtp={"media_timeout_s": 5.0})
    baresip: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 10
        while not (loop.service.registration and loop.service.registration.registered):
            assert time.monotonic() < deadline, "callscreen did not register with Kamailio"
            time.sleep(0.1)
        _baresip_config(tmp_path / "baresip", kamailio_port)
        dial = f"/dial sip:screen@127.0.0.1:{kamailio_port}"
        baresip = _popen(["baresip", "-f", str(tmp_path / "baresip"), "-e", dial,
                          "-t", "40"], tmp_path, "baresip.log")
        (record,) = loop.records(wait_s=25)
        assert record.route is Route.AGENTS, (tmp_path / "baresip.log").read_text(errors="replace")[-3000:]
        assert record.end_reason == "transfer_ok"
        assert record.caller == CALLER_NUMBER
        kamailio_log = (tmp_path / "kamailio.log").read_text(errors="replace")
        assert ("to callscreen over TCP" in kamailio_log) is (to_node == "tcp"), kamailio_log[-3000:]
        assert loop.replay.streams[0].audio_s >= 1.5  # baresip's RTP reached the recogniser through G.711
        time.sleep(1.0)  # the transferred call settles at the agents (sipp has its ACK)
        baresip.terminate()  # the caller hangs up: baresip sends BYE on the transferred call
        assert agents.wait(timeout=30) == 0, (tmp_path / "agents.log").read_text(errors="replace")[-3000:]
    finally:
        if baresip is not None:
            _stop(baresip)
        _stop(agents)
        loop.service.stop(drain_timeout_s=1.0)
