"""The media timeout holds while prompts play, not only while listening: a caller whose RTP stopped is hung up."""

from __future__ import annotations

import threading
import time

from telephony.actions import MediaWatch, analysis_queue, run_verbs
from telephony.sip.refer import TransferResult
from telephony.vocabulary import EndReason


class EndlessPlayback:
    """A prompt that would play for minutes."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        return self.cancelled.wait(timeout)

    def cancel(self) -> None:
        self.cancelled.set()

    @property
    def done(self) -> bool:
        return self.cancelled.is_set()


class SilentCall:
    def __init__(self) -> None:
        self.ended = threading.Event()
        self.hung_up: list[EndReason] = []
        self.playbacks: list[EndlessPlayback] = []

    @property
    def answered(self) -> bool:
        return True

    def answer(self) -> None:
        pass

    def play(self, pcm16: bytes) -> EndlessPlayback:
        self.playbacks.append(EndlessPlayback())
        return self.playbacks[-1]

    def transfer(self, target: str, verdict: str | None, embedded: tuple[tuple[str, str], ...] = ()
                 ) -> TransferResult:
        raise AssertionError("no transfer in the analysis queue")

    def hangup(self, reason: EndReason) -> None:
        self.hung_up.append(reason)
        self.ended.set()


def test_silence_on_the_wire_ends_the_deterrent_with_media_timeout() -> None:
    call = SilentCall()
    prompts = {name: b"\x00" * 16000 for name in ("analysis_notice", "sit", "analysis_done")}
    started = time.monotonic()
    last_packet = started - 2.5  # the caller's RTP stopped 2.5 s ago
    watch = MediaWatch(lambda: time.monotonic() - last_packet, limit_s=3.0)
    assert run_verbs(analysis_queue(), call, prompts, watch=watch) is False
    assert call.hung_up == [EndReason.MEDIA_TIMEOUT]
    assert 0.3 <= time.monotonic() - started < 2.0
    assert call.playbacks[0].cancelled.is_set()  # the prompt stopped, nothing queued after it


def test_media_flowing_lets_the_prompts_play() -> None:
    call = SilentCall()
    prompts = {name: b"" for name in ("analysis_notice", "sit", "analysis_done")}
    watch = MediaWatch(lambda: 0.0, limit_s=3.0)
    timer = threading.Timer(0.3, lambda: call.playbacks[-1].cancel())
    timer.start()
    run_verbs(analysis_queue()[:1], call, prompts, watch=watch)
    timer.cancel()
    assert call.hung_up == [] and not watch.fired
