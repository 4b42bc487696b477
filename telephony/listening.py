"""The LISTENING state's loop: caller audio → ASR stream → content session, bounded in time.

Audio is read frame by frame from the call's media with a short blocking timeout (no polling sleeps), handed to
the transcriber, and the transcriber's events are fed to the screening session, which may return a final verdict
early. The window ends at ``listen_timeout_s``; once, past ``steer_at`` of the window and after the greeting, the
caller is asked to state the business (the handbook's second chance, ``on_steering``). No RTP for
``media_timeout_s`` ends the listening with ``MEDIA_TIMEOUT``. Transcripts are logged at DEBUG only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from asr.events import AsrFinal, TranscriberStream
from screening.interfaces import ContentSession
from screening.verdict import Verdict
from telephony.call import Call
from telephony.flow import FlowEvent

log = logging.getLogger(__name__)
READ_TIMEOUT_S = 0.1
STATS_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class ListenLimits:
    listen_timeout_s: float = 8.0
    media_timeout_s: float = 10.0
    steer_at: float = 0.6  # fraction of the window after which the caller is steered once (0 disables)
    finish_timeout_s: float = 2.0  # the decoder's flush at the end of the window; beyond it the call fails open


@dataclass
class ListenOutcome:
    event: FlowEvent
    verdict: Verdict | None = None
    transcript: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


def _feed(stream: TranscriberStream, session: ContentSession, outcome: ListenOutcome) -> Verdict | None:
    for event in stream.poll():
        if isinstance(event, AsrFinal) and event.text:
            outcome.transcript.append(event.text)
            log.debug("asr final %r", event.text)
        verdict = session.on_asr(event)
        if verdict is not None and verdict.final:
            return verdict
    return None


def listen(
    call: Call,
    stream: TranscriberStream,
    session: ContentSession,
    prompts: Mapping[str, bytes],
    limits: ListenLimits,
    shutdown: threading.Event,
) -> ListenOutcome:
    """Listen until a final verdict, the end of the window, the caller leaving, silence on the wire or shutdown."""
    media = call.media
    assert media is not None, "listen() needs an answered call"
    outcome = ListenOutcome(FlowEvent.VERDICT)
    greeting = call.play(prompts["greeting"]) if "greeting" in prompts else None
    started = time.monotonic()
    next_stats = STATS_EVERY_S
    steered = limits.steer_at <= 0
    while True:
        outcome.elapsed_s = elapsed = time.monotonic() - started
        if call.ended.is_set():
            outcome.event = FlowEvent.CALLER_GONE
            return outcome
        if shutdown.is_set():
            outcome.event = FlowEvent.SHUTDOWN
            return outcome
        if elapsed >= limits.listen_timeout_s:
            # A hung decoder raises AsrOverloadError here: the flow's fail-open boundary sends the caller on.
            for event in stream.finish(timeout_s=limits.finish_timeout_s):
                if isinstance(event, AsrFinal) and event.text:
                    outcome.transcript.append(event.text)
                session.on_asr(event)
            session.on_speech(stream.stats())
            outcome.verdict = session.finish(elapsed)
            return outcome
        frame = media.read(READ_TIMEOUT_S)
        if frame is None:
            if media.seconds_since_last_packet >= limits.media_timeout_s:
                outcome.event = FlowEvent.MEDIA_TIMEOUT
                return outcome
        else:
            stream.accept(frame)
        verdict = _feed(stream, session, outcome)
        if verdict is None and elapsed >= next_stats:
            next_stats += STATS_EVERY_S
            speech_verdict = session.on_speech(stream.stats())
            verdict = speech_verdict if speech_verdict is not None and speech_verdict.final else None
        if verdict is not None:
            outcome.verdict = verdict
            return outcome
        if not steered and elapsed >= limits.steer_at * limits.listen_timeout_s and (greeting is None or greeting.done):
            steered = True
            session.on_steering(elapsed)
            if "steer" in prompts:
                call.play(prompts["steer"])
