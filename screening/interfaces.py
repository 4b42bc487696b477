"""The contracts between the screening core, the records layer and the telephony shell.

Telephony knows only these types: it asks a :class:`Screener` for a pre-screen decision before answering, feeds a
:class:`ContentSession` with ASR events while listening, carries out the route, and hands a :class:`CallRecord` to
a :class:`CallRecorder`. Nothing here imports SIP, Vosk or SQL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from asr.events import AsrEvent, SpeechStats
from numbering import CallerNumber
from screening.verdict import Verdict


@dataclass(frozen=True, slots=True)
class CallContext:
    """What is known about a call before it is answered."""

    call_id: str
    caller: CallerNumber
    at: datetime  # timezone-aware arrival time
    called_user: str | None = None  # the dialled user part (e.g. the analysis extension)
    source_address: str | None = None  # signalling source ip:port — never a harassment signal by itself
    referred_by: str | None = None  # set when an agent transferred the call here


class PreDecision(enum.StrEnum):
    TO_AGENTS = "to_agents"  # allowlisted: no screening
    BLOCKED = "blocked"  # confirmed source: blocked policy (analysis queue / line fault / reject)
    SCREEN = "screen"  # answer and listen
    NO_CONTENT = "no_content"  # content screening not applicable (mode, no model): decide on caller ID/time


@dataclass(frozen=True, slots=True)
class PreScreen:
    decision: PreDecision
    verdict: Verdict  # caller-ID + time verdict; provisional unless decision is TO_AGENTS/BLOCKED


class ContentSession(Protocol):
    """Screening of one call while it is being listened to."""

    def on_asr(self, event: AsrEvent) -> Verdict | None:
        """Feed one ASR event; return a *final* verdict as soon as the evidence is strong, else None."""
        ...

    def on_speech(self, stats: SpeechStats) -> Verdict | None:
        """Feed updated speech statistics (silence, open line); same return rule as ``on_asr``."""
        ...

    def on_steering(self, at_s: float) -> None:
        """The caller was asked (again) to state the business — the handbook's second chance."""
        ...

    def finish(self, elapsed_s: float) -> Verdict:
        """End of the listening window: the final verdict."""
        ...


class Screener(Protocol):
    def prescreen(self, ctx: CallContext) -> PreScreen: ...

    def open_session(self, ctx: CallContext, pre: PreScreen) -> ContentSession: ...


class Route(enum.StrEnum):
    """Where a call went. Stored with every record and counted in reports."""

    AGENTS = "agents"
    AGENTS_FLAGGED = "agents_flagged"  # suspect: to agents with the verdict attached
    ANGRY_CUSTOMER = "angry_customer"  # a customer-service matter said in anger: to the senior agents
    ANALYSIS = "analysis"  # auto-analysis queue (deterrent prompt + SIT + hang up)
    LINE_FAULT = "line_fault"
    REJECTED = "rejected"
    FAIL_OPEN = "fail_open"  # internal failure: to the agents
    ABANDONED = "abandoned"  # caller hung up / cancelled before routing
    MEDIA_TIMEOUT = "media_timeout"  # no RTP: ended


@dataclass(frozen=True, slots=True)
class ScreeningInput:
    """What the judgement heard on a call, kept briefly for shadow replay of a candidate change (no audio).

    The caller and the time are the record's own ``caller`` and ``started_at``; the records layer adds the caller's
    recent history when it stores this (``records.shadow_capture``).
    """

    transcript: str  # everything recognised, whatever the verdict (the record's own transcript is flagged-only)
    listened: bool  # the content was screened; False for calls decided before answering


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One screened call, as telephony hands it to the records layer (always written, even on failure)."""

    call_id: str
    started_at: datetime
    caller: CallerNumber
    route: Route
    verdict: Verdict
    node: str
    ended_at: datetime | None = None
    transcript: str = ""  # stored only for flagged calls, subject to retention
    confirmed_by: str | None = None  # "agent:<id>" when an agent transferred the call to the analysis queue
    end_reason: str = ""  # "caller_bye", "cancel", "media_timeout", "transfer_ok", "transfer_failed:<code>" …
    called_user: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    ref: str | None = None  # callscreen's call reference, given to the agent in the transferred INVITE
    hotline: str | None = None  # the dialled service number (profile selection)
    ladder_step: int | None = None  # graduated-response step this call took (harassment only)
    screening_input: ScreeningInput | None = None  # for shadow mode; None when the call never reached prescreen


class CallRecorder(Protocol):
    """Durable sink for call records. Must not raise into the call flow: it spools on failure."""

    def record(self, record: CallRecord) -> None: ...


class CallHistory(Protocol):
    """Recent calls seen by all nodes — for repeat-caller and prefix-burst signals."""

    def count_from(self, normalized: str, since: datetime) -> int: ...

    def count_prefix(self, prefix: str, since: datetime) -> int: ...

    def agent_confirmations(self, normalized: str, since: datetime) -> int: ...

    def note_call(self, normalized: str | None, at: datetime) -> None: ...
