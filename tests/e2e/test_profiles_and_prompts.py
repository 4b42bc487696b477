"""Per-hotline profiles and a centre's own prompts, end to end over sipp with default timings.

GIVEN two hotlines — sales (4008001234, packaged prompts, agents) and complaints (8008005678, its own greeting
imported from a 44.1 kHz stereo WAV by ``callscreen prompts import``, its own agents address) — WHEN a caller
dials each number THEN each call hears its own greeting (the RTP callscreen sent decodes to the imported audio),
is REFERred to its own agents, and is recorded with its hotline, so lists and reports split by hotline. A reload
of prompts and profiles while calls are being screened drops none of them.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callscreen.cli import main
from callscreen.settings import Settings
from prompts.library import PromptLibrary
from prompts.manifest import read_pcm16
from prompts.names import PromptName
from records.base import utcnow
from records.reports import build_report
from records.repository_calls import CallFilter, query_calls
from screening.interfaces import Route
from telephony.rtp.codecs import codec_for
from tests.conftest import free_port
from tests.e2e.harness import LEGIT_TEXT, Loopback, RtpSink, make_caller_audio, start_loopback
from tests.telephony.replay_recognizer import Utterance

pytestmark = [pytest.mark.sip, pytest.mark.slow]
SALES, COMPLAINTS = "4008001234", "8008005678"
COMPLAINTS_GREETING = "投诉热线，请讲"



def _recording(directory: Path) -> Path:
    """What a centre hands over: a studio WAV, 44.1 kHz stereo, at its own level."""
    directory.mkdir()
    raw = directory / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(raw), COMPLAINTS_GREETING], check=True, capture_output=True)
    studio = directory / "greeting.wav"
    subprocess.run(["sox", str(raw), "-r", "44100", "-c", "2", "-b", "16", str(studio), "vol", "0.3"], check=True,
                   capture_output=True)
    (directory / "jingle.wav").write_bytes(studio.read_bytes())  # not a prompt name: reported, not imported
    return directory


def _heard(sink: RtpSink, pcm: bytes) -> bool:
    g711 = codec_for(0)
    heard = g711.decode(sink.payload())
    chunk = pcm[3200:3200 + 1600]
    return g711.decode(g711.encode(chunk)) in heard


def _profiles(tmp_path: Path, sipp_port: int, prompts_dir: Path) -> dict[str, dict[str, object]]:
    return {"sales": {"numbers": [SALES]},
            "complaints": {"numbers": [f"+86 {COMPLAINTS[:3]}-{COMPLAINTS[3:]}"], "prompts_dir": str(prompts_dir),
                           "agents_uri": f"sip:complaints@127.0.0.1:{sipp_port}"}}  # fmt: skip


@pytest.fixture
def loop(tmp_path: Path, tools: None) -> Iterator[Loopback]:
    make_caller_audio(tmp_path, LEGIT_TEXT, "PCMU")
    prompts_dir = tmp_path / "complaints-prompts"
    config = tmp_path / "callscreen.toml"
    config.write_text(f'data_dir = "{tmp_path / "var"}"\n[profiles.complaints]\nnumbers = ["{COMPLAINTS}"]\n'
                      f'prompts_dir = "{prompts_dir}"\n')
    out = tmp_path / "import.out"
    with out.open("w") as fh, contextlib.redirect_stdout(fh):
        code = main(["--config", str(config), "prompts", "import", str(_recording(tmp_path / "studio")),
                     "--profile", "complaints"])
    report = out.read_text()
    assert code == 1, report  # the jingle is not a prompt: the import says so and exits non-zero
    assert "imported  greeting" in report and "UNKNOWN   jingle.wav" in report
    assert "missing   steer" in report and "missing   greeting" not in report
    sipp_port = free_port()
    loop = start_loopback(tmp_path, (Utterance(1.5, LEGIT_TEXT),), sipp_port=sipp_port,
                          profiles=_profiles(tmp_path, sipp_port, prompts_dir))
    try:
        yield loop
    finally:
        loop.service.stop(drain_timeout_s=1.0)


def test_each_hotline_gets_its_own_prompts_and_agents_and_reports_split(loop: Loopback, tmp_path: Path) -> None:
    imported = read_pcm16(tmp_path / "complaints-prompts" / "greeting.wav")
    assert len(imported) > 16000  # converted to 8 kHz mono 16-bit, non-trivial
    packaged = PromptLibrary.load().pcm16(PromptName.GREETING)
    for number, agents, greeting, other in ((COMPLAINTS, "complaints", imported, packaged),
                                            (SALES, "agents", packaged, imported)):
        sink = RtpSink()
        try:
            result = loop.sipp("uac-legit-expect-refer.xml", sink_port=sink.port, service_user=number,
                               replace=(("sip:agents@", f"sip:{agents}@"),))
            assert result.returncode == 0, result.stdout[-3000:] + loop.sipp_log()
            assert _heard(sink, greeting), f"{number}: its own greeting was not played"
            assert not _heard(sink, other), f"{number}: heard the other hotline's greeting"
        finally:
            sink.stop()
    rows = loop.records(expected=2)
    assert {(r.hotline, r.route) for r in rows} == {(f"+86{SALES}", Route.AGENTS), (f"+86{COMPLAINTS}", Route.AGENTS)}
    with loop.service.db.session() as session:
        only, count = query_calls(session, CallFilter(hotline=f"+86{COMPLAINTS}"), limit=10)
        assert count == 1 and only[0].hotline == f"+86{COMPLAINTS}"
        now = utcnow() + timedelta(seconds=loop.service.settings.clock_offset_s)  # the service's clock
        zone = ZoneInfo("Asia/Shanghai")
        for number in (SALES, COMPLAINTS):
            report = build_report(session, since=now - timedelta(hours=1), until=now + timedelta(minutes=1),
                                  zone=zone, hotline=f"+86{number}")
            assert report.total_calls == 1


def test_reload_during_calls_drops_none_and_new_calls_get_the_new_profile(loop: Loopback, tmp_path: Path) -> None:
    settings: Settings = loop.service.settings
    moved = settings.model_copy(update={"profiles": {
        **settings.profiles,
        "sales": settings.profiles["sales"].model_copy(
            update={"agents_uri": f"sip:sales2@127.0.0.1:{loop.sipp_port}"}),
    }})
    results: list[subprocess.CompletedProcess[str]] = []
    calls = threading.Thread(target=lambda: results.append(
        loop.sipp("uac-legit-expect-refer.xml", service_user=SALES, calls=3, rate=10)))
    calls.start()
    deadline = time.monotonic() + 10
    while len(loop.service.endpoint.active_calls()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    in_flight = len(loop.service.endpoint.active_calls())
    assert loop.service.reload_conversation(moved, "test")  # while they are being screened
    calls.join(timeout=90)
    assert in_flight == 3 and results and results[0].returncode == 0, results[0].stdout[-3000:] + loop.sipp_log()
    rows = loop.records(expected=3)
    assert [r.end_reason for r in rows] == ["transfer_ok"] * 3  # the old table finished them: none dropped
    after = loop.sipp("uac-legit-expect-refer.xml", service_user=SALES, replace=(("sip:agents@", "sip:sales2@"),))
    assert after.returncode == 0, after.stdout[-3000:] + loop.sipp_log()
    broken = moved.model_copy(update={"profiles": {"x": settings.profiles["sales"].model_copy(
        update={"prompts_dir": tmp_path / "does-not-exist"})}})
    assert not loop.service.reload_conversation(broken, "test")  # refused: the running profiles stay
    again = loop.sipp("uac-legit-expect-refer.xml", service_user=SALES, replace=(("sip:agents@", "sip:sales2@"),))
    assert again.returncode == 0, again.stdout[-3000:] + loop.sipp_log()
