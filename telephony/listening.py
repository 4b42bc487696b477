"""The LISTENING and CHALLENGING states' loops: caller audio → ASR stream → content session, bounded in time.

Audio is read frame by frame from the call's media with a short blocking timeout (no polling sleeps), handed to
the transcriber, and the transcriber's events are fed to the screening session, which may return a final verdict
early. The first window (:func:`listen`) opens with the greeting and ends at ``listen_timeout_s``. When the flow
is unsure after it, :func:`challenge` asks the question ("请问您需要办理什么业务？请直接说，或按1转人工服务") and
listens for a second window sized from the question's real length. In both, the agent key (``1``, by RFC 4733
telephone-event or SIP INFO) ends the window at once with ``AGENT_KEY``. No RTP for ``media_timeout_s`` ends the
listening with ``MEDIA_TIMEOUT``. Transcripts are logged at DEBUG only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from asr.events import BYTES_PER_SECOND, AsrFinal, TranscriberStream
from screening.interfaces import ContentSession
from screening.verdict import Verdict
from telephony.call import Call
from telephony.flow import FlowEvent
from telephony.media import Playback

log = logging.getLogger(__name__)
READ_TIMEOUT_S = 0.1
AGENT_KEY = "1"  # "…或按1转人工服务"
STATS_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class ListenLimits:
    listen_timeout_s: float = 8.0
    media_timeout_s: float = 10.0
    # The old in-window steer (a fraction of the window); off by default: the challenge window replaces it.
    steer_at: float = 0.0
    finish_timeout_s: float = 2.0  # the decoder's flush at the end of the window; beyond it the call fails open
    challenge_answer_s: float = 5.0  # after the challenge question, this long for the answer (0: no challenge)


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
    *,
    finish_stream: bool = True,
) -> ListenOutcome:
    """The first window: the greeting, then the caller's answer, until a final verdict, the end of the window,
    the caller leaving or pressing the agent key, silence on the wire or shutdown.

    ``finish_stream=False`` keeps the recogniser's stream open for a challenge window that follows."""
    assert call.media is not None, "listen() needs an answered call"
    outcome = ListenOutcome(FlowEvent.VERDICT)
    greeting = call.play(prompts["greeting"]) if "greeting" in prompts else None
    steer = (limits.steer_at * limits.listen_timeout_s) if limits.steer_at > 0 else None
    return _window(call, stream, session, limits, shutdown, outcome, limits.listen_timeout_s,
                   finish_stream=finish_stream, steer=(steer, greeting, prompts.get("steer")))


def challenge(
    call: Call,
    stream: TranscriberStream,
    session: ContentSession,
    prompts: Mapping[str, bytes],
    limits: ListenLimits,
    shutdown: threading.Event,
    earlier: Sequence[str],
) -> ListenOutcome:
    """The second window after an unsure first one: the question (``challenge`` prompt), then the answer.

    ``session`` is fresh; what the caller said in the first window is fed to it first, so the verdict at the end
    rests on all the evidence, and it is told the caller was steered. The window lasts the question's real
    duration plus ``challenge_answer_s``, so the answer always fits whatever recording the centre uses."""
    assert call.media is not None, "challenge() needs an answered call"
    outcome = ListenOutcome(FlowEvent.VERDICT)  # its transcript: only what is said in this window
    for text in earlier:
        verdict = session.on_asr(AsrFinal(text, 0.0, 0.0, (), 1.0))
        if verdict is not None and verdict.final:
            outcome.verdict = verdict
            return outcome
    question = prompts.get("challenge", b"")
    if question:
        call.play(question)
    session.on_steering(0.0)
    window = len(question) / BYTES_PER_SECOND + limits.challenge_answer_s
    return _window(call, stream, session, limits, shutdown, outcome, window, finish_stream=True,
                   steer=(None, None, None))


def _window(
    call: Call,
    stream: TranscriberStream,
    session: ContentSession,
    limits: ListenLimits,
    shutdown: threading.Event,
    outcome: ListenOutcome,
    window_s: float,
    *,
    finish_stream: bool,
    steer: tuple[float | None, Playback | None, bytes | None],
) -> ListenOutcome:
    media = call.media
    assert media is not None
    started = time.monotonic()
    next_stats = STATS_EVERY_S
    steer_at, greeting, steer_prompt = steer
    while True:
        outcome.elapsed_s = elapsed = time.monotonic() - started
        if call.ended.is_set():
            outcome.event = FlowEvent.CALLER_GONE
            return outcome
        if shutdown.is_set():
            outcome.event = FlowEvent.SHUTDOWN
            return outcome
        if AGENT_KEY in call.dtmf():  # RFC 4733 or SIP INFO: the caller asks for a person
            outcome.event = FlowEvent.AGENT_KEY
            return outcome
        if elapsed >= window_s:
            if finish_stream:
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
        if steer_at is not None and elapsed >= steer_at and (greeting is None or greeting.done):
            steer_at = None
            session.on_steering(elapsed)
            if steer_prompt:
                call.play(steer_prompt)
