"""The call flow's middle as one table: every route and every fault, in milliseconds, with no SIP and no sipp.

Each row runs the real :class:`telephony.flow_runner.FlowRunner` (with the real ``listen`` loop and the real
deterrent verbs) over a :class:`FakeCall` that plays the caller and the agents' side from a script, a scripted
recogniser (:mod:`tests.telephony.replay_recognizer`) and a scripted screener whose verdicts are keyed to the
transcript — the judgement itself is tested in ``tests/screening``. The row states what a manager would see: the
route and the end reason stored with the record, what the caller heard and where the call was sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

import pytest

from asr.events import FRAME_BYTES, AsrEvent, AsrFinal, SpeechStats, TranscriberStream
from numbering import normalize
from screening.interfaces import CallContext, CallRecord, ContentSession, PreDecision, PreScreen, Route
from screening.verdict import Label, Reason, ReasonCode, Verdict
from telephony.call import Call, CallEndedError, CallInfo
from telephony.flow_runner import FlowPolicy, FlowRunner, NullObserver
from telephony.listening import ListenLimits
from telephony.sip.identity import CallerIdentity, IdentitySource
from telephony.sip.refer import TransferOutcome, TransferResult
from telephony.vocabulary import Deterrent, EndReason
from tests.telephony.replay_recognizer import ReplayStream, ReplayTranscriberFactory, Utterance

AGENTS, FALLBACK = "sip:agents@pbx", "sip:fallback@pbx"
PROMPTS = {name: name.encode() for name in
           ("greeting", "steer", "challenge", "recorded_notice", "analysis_notice", "sit", "analysis_done",
            "line_fault", "transfer_failed")}
SENIOR = "sip:senior@pbx"
AT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai: the time of day plays no part here
OK = TransferResult(TransferOutcome.COMPLETED, 200)
REFUSED_403, REFUSED_486 = TransferResult(TransferOutcome.REFUSED, 403), TransferResult(TransferOutcome.REFUSED, 486)
UNANSWERED = TransferResult(TransferOutcome.TIMEOUT)


class _Done:
    """A prompt that has already been heard (the fake media plays instantly)."""

    done = True

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def cancel(self) -> None:
        pass


class FakeMedia:
    def __init__(self, call: FakeCall) -> None:
        self._call = call
        self.frames = 0

    def read(self, timeout: float) -> bytes | None:
        if self._call.script.silent_wire or self._call.ended.is_set():
            return None
        self.frames += 1
        if self._call.script.leaves == "listening" and self.frames == 20:
            self._call.caller_leaves(EndReason.CALLER_BYE)
        time.sleep(0.0005)
        return bytes(FRAME_BYTES) if self._call.script.silent_caller else b"\x10\x00" * (FRAME_BYTES // 2)

    @property
    def seconds_since_last_packet(self) -> float:
        return 99.0 if self._call.script.silent_wire else 0.0


@dataclass
class Script:
    """One row's world: what the screener concludes, what the caller does, how the agents' side answers."""

    pre: PreDecision = PreDecision.SCREEN
    pre_label: Label = Label.ALLOW
    said: tuple[str, ...] = ()  # utterances, one per 0.2 s of caller audio
    leaves: str | None = None  # "ringing", "answer", "listening", "transfer", "deterrent": the caller leaves there
    agents: tuple[TransferResult, ...] = (OK,)  # the agents' answers to successive REFERs
    fallback: tuple[TransferResult, ...] = (OK,)
    silent_wire: bool = False  # no RTP at all
    silent_caller: bool = False  # RTP, but only silence (a silence call)
    called_user: str | None = "sales"
    prescreen_raises: bool = False
    transfer_raises: bool = False
    pressed: str = ""  # keys the caller presses once the question was asked
    after_question: tuple[str, ...] = ()  # what the caller says once the question was asked


class FakeCall:
    """What the runner sees of a call (the :class:`telephony.call.Call` surface), driven by a :class:`Script`."""

    def __init__(self, script: Script) -> None:
        self.script = script
        identity = CallerIdentity(normalize("13812345678"), IdentitySource.PAI)
        self.info = CallInfo("row-call", identity, AT, script.called_user, ("192.0.2.1", 5060), None)
        self.ended = threading.Event()
        self.end_reason: EndReason | None = None
        self.answered = False
        self.rang_for_s: float | None = None  # from 180 to 200
        self._rang_at = 0.0
        self.media: FakeMedia | None = None
        self.heard: list[str] = []  # prompt names, in order
        self.sip: list[str] = []  # what we sent: "180", "200", "REFER sip:…", "302 sip:…", "603", "BYE", "480"

    @property
    def call_id(self) -> str:
        return self.info.call_id

    def caller_leaves(self, reason: EndReason) -> None:
        if not self.ended.is_set():
            self.end_reason = reason
            self.ended.set()

    def _end(self, reason: EndReason) -> None:
        if not self.ended.is_set():
            self.end_reason = reason
            self.ended.set()

    def ring(self) -> None:
        self.sip.append("180")
        self._rang_at = time.monotonic()
        if self.script.leaves == "ringing":
            self.caller_leaves(EndReason.CANCEL)

    def answer(self) -> None:
        if self.script.leaves == "answer":  # the CANCEL crosses our 200 OK
            self.caller_leaves(EndReason.CANCEL)
        if self.ended.is_set() or self.answered:
            raise CallEndedError("cannot answer now")
        self.rang_for_s = time.monotonic() - self._rang_at
        self.answered = True
        self.media = FakeMedia(self)
        self.sip.append("200")

    def play(self, pcm16: bytes) -> _Done:
        if self.media is None:
            raise CallEndedError("no media")
        name = pcm16.decode()
        self.heard.append(name)
        if self.script.leaves == "deterrent" and name == "sit":
            self.caller_leaves(EndReason.CALLER_BYE)
        return _Done()

    def transfer(self, target: str, verdict: str | None, embedded: tuple[tuple[str, str], ...] = ()) -> TransferResult:
        self.sip.append(f"REFER {target} {verdict.split(';')[0] if verdict else ''}".rstrip())
        if self.script.leaves == "transfer":
            self.caller_leaves(EndReason.CALLER_BYE)
        if self.ended.is_set() or not self.answered:  # as the real call: no REFER outside a confirmed dialog
            return TransferResult(TransferOutcome.CALL_ENDED)
        if self.script.transfer_raises:
            raise RuntimeError("fault injected by the test: the SIP stack failed sending the REFER")
        answers = self.script.agents if target in (AGENTS, SENIOR) else self.script.fallback
        tried = sum(1 for line in self.sip if line.startswith(f"REFER {target}"))
        return answers[min(tried, len(answers)) - 1]

    def dtmf(self) -> str:
        if self.script.pressed and "challenge" in self.heard:
            pressed, self.script.pressed = self.script.pressed, ""
            return pressed
        return ""

    def redirect(self, target: str, reason: EndReason) -> None:
        self.sip.append(f"302 {target}")
        self._end(reason)

    def reject(self, status: int, reason: EndReason) -> None:
        self.sip.append(str(status))
        self._end(reason)

    def hangup(self, reason: EndReason) -> None:
        if not self.ended.is_set():
            self.sip.append("BYE" if self.answered else "480")
        self._end(reason)


def _reason(code: ReasonCode, weight: float) -> Reason:
    return Reason(code, code.kind, weight, code.value)


# What the screening core would say (its reasons are what the flow's conversation rules read).
INSULT, BUSINESS = _reason(ReasonCode.INSULT, 0.6), _reason(ReasonCode.BUSINESS, -0.3)
NIGHT_REPEAT = (_reason(ReasonCode.NIGHT, 0.2), _reason(ReasonCode.REPEAT, 0.3), _reason(ReasonCode.ANONYMOUS, 0.2))
ANGRY = (_reason(ReasonCode.COMPLAINT_CONTEXT, -0.2), _reason(ReasonCode.SWEARING, 0.5), *NIGHT_REPEAT)
# A courier centre's adapted model on 查一下刘德华多大年纪了 (chitchat from its harassers): no abusive word, its centre
# head pushes towards harassment — the guard's abuse, so the conversation's too. Then the head pushing the other way.
CENTRE_UP = (_reason(ReasonCode.LEARNED_NO_BUSINESS, 0.94), _reason(ReasonCode.LEARNED_CENTRE, 0.44),
             _reason(ReasonCode.BUSINESS, -0.25))  # fmt: skip
CENTRE_DOWN = (_reason(ReasonCode.LEARNED_NO_BUSINESS, 0.94), _reason(ReasonCode.NO_BUSINESS, 0.45),
               _reason(ReasonCode.LEARNED_CENTRE, -0.2), *NIGHT_REPEAT)  # fmt: skip


class _Session:
    """Verdicts keyed to words in the transcript: 'harass' → harassment at once, 'hello' → allow at once,
    'angry' → a complaint sworn at night by a repeat anonymous caller (harassment by score alone), 'chitchat' →
    harassment by a centre head's push, 'centre clears' → harassment by score although the centre head reads a
    legitimate call."""

    def __init__(self, at_end: Label) -> None:
        self._at_end = at_end

    def on_asr(self, event: AsrEvent) -> Verdict | None:
        if isinstance(event, AsrFinal) and "harass" in event.text:
            return Verdict(Label.HARASSMENT, 0.95, (INSULT,))
        if isinstance(event, AsrFinal) and "hello" in event.text:
            return Verdict(Label.ALLOW, 0.05, (BUSINESS,))
        if isinstance(event, AsrFinal) and "angry" in event.text:
            return Verdict(Label.HARASSMENT, 0.95, ANGRY)
        if isinstance(event, AsrFinal) and "chitchat" in event.text:
            return Verdict(Label.HARASSMENT, 1.0, CENTRE_UP)
        if isinstance(event, AsrFinal) and "centre clears" in event.text:
            return Verdict(Label.HARASSMENT, 0.9, CENTRE_DOWN)
        return None

    def on_speech(self, stats: SpeechStats) -> Verdict | None:
        if stats.duration_s >= 0.5 and stats.speech_s == 0:  # a silence call (the real rule is the judgement's)
            return Verdict(Label.HARASSMENT, 0.9, (_reason(ReasonCode.SILENCE, 0.5), *NIGHT_REPEAT))
        return None

    def on_steering(self, at_s: float) -> None:
        pass

    def finish(self, elapsed_s: float) -> Verdict:
        score = {Label.ALLOW: 0.1, Label.SUSPECT: 0.5, Label.HARASSMENT: 0.9}[self._at_end]
        return Verdict(self._at_end, score, NIGHT_REPEAT if self._at_end is Label.HARASSMENT else ())


@dataclass
class ScriptedScreener:
    script: Script
    at_end: Label = Label.ALLOW

    def prescreen(self, ctx: CallContext) -> PreScreen:
        if self.script.prescreen_raises:
            raise RuntimeError("fault injected by the test: prescreen crashed")
        score = {Label.ALLOW: 0.0, Label.SUSPECT: 0.5, Label.HARASSMENT: 1.0}[self.script.pre_label]
        return PreScreen(self.script.pre, Verdict(self.script.pre_label, score, final=False))

    def open_session(self, ctx: CallContext, pre: PreScreen) -> ContentSession:
        return _Session(self.at_end)


@dataclass
class Recorder:
    fails: bool = False
    records: list[CallRecord] = field(default_factory=list)

    def record(self, record: CallRecord) -> None:
        self.records.append(record)
        if self.fails:
            raise RuntimeError("fault injected by the test: database gone and spool full")


class Observer(NullObserver):
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.caller_id_only = 0

    def admission_refused(self) -> None:
        self.caller_id_only += 1

    def failed_open(self, reason: str) -> None:
        self.failures.append(reason)


class _BrokenStream:
    """An ASR stream whose decoder crashes on the first audio."""

    def accept(self, pcm16: bytes) -> None:
        raise RuntimeError("fault injected by the test: recogniser crashed")

    def poll(self) -> list[AsrEvent]:
        return []

    def finish(self, timeout_s: float | None = None) -> list[AsrEvent]:
        return []

    def stats(self) -> SpeechStats:
        raise AssertionError("not reached")

    @property
    def lagging(self) -> bool:
        return False

    @property
    def backlog_s(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


class BrokenAsr:
    def open_stream(self, call_id: str) -> TranscriberStream:
        return _BrokenStream()

    def close(self) -> None:
        pass


@dataclass
class Row:
    script: Script
    route: Route
    end: str  # the stored end reason
    sip: list[str]  # what we sent, in order
    heard: list[str] = field(default_factory=list)
    label: Label | None = None  # the recorded verdict's label, when the row is about it
    at_end: Label = Label.ALLOW  # the content verdict when the window ends without an early one
    deterrent: Deterrent = Deterrent.ANALYSIS
    asr: str = "replay"  # "replay", "none" (no model), "broken", "overload", "full" (no decoder slot free)
    redirect_allowlisted: bool = False
    answer_delay_s: float = 0.0
    transcript: str = ""
    recorder_fails: bool = False
    shutdown_after_s: float | None = None  # the service starts stopping this long after the call arrived
    fallback: str | None = FALLBACK
    failures: list[str] = field(default_factory=list)
    senior: str | None = SENIOR
    ladder: tuple[int | None, bool] | None = None  # what the graduated response answers before deterring


QUEUE = ["analysis_notice", "sit", "analysis_done"]
ROWS: dict[str, Row] = {
    # --- one row per route ---------------------------------------------------------------------------------
    "allow_early": Row(Script(said=("hello, about my order",)), Route.AGENTS, "transfer_ok",
                       ["180", "200", f"REFER {AGENTS} allow", "BYE"], ["greeting"], Label.ALLOW),
    "allow_at_end_of_window": Row(Script(said=("um",)), Route.AGENTS, "transfer_ok", [
        "180", "200", f"REFER {AGENTS} allow", "BYE"], ["greeting", "challenge"], Label.ALLOW),
    "suspect": Row(Script(said=("um", "well")), Route.AGENTS_FLAGGED, "transfer_ok",
                   ["180", "200", f"REFER {AGENTS} suspect", "BYE"], ["greeting", "challenge"], Label.SUSPECT,
                   at_end=Label.SUSPECT, transcript="um well"),
    # --- the conversation with an unsure caller (the question, then a second window) -------------------
    "unsure_caller_presses_1": Row(Script(said=("um",), pressed="1"), Route.AGENTS_FLAGGED, "transfer_ok",
                                   ["180", "200", f"REFER {AGENTS} suspect", "BYE"], ["greeting", "challenge"],
                                   Label.SUSPECT, at_end=Label.SUSPECT, transcript="um"),
    "unsure_caller_states_the_business": Row(
        Script(said=("um",), after_question=("hello, my order",)), Route.AGENTS, "transfer_ok",
        ["180", "200", f"REFER {AGENTS} allow", "BYE"], ["greeting", "challenge"], Label.ALLOW,
        at_end=Label.SUSPECT),
    "unsure_caller_abuses": Row(Script(said=("um",), after_question=("harass",)), Route.ANALYSIS, "analysis_done",
                                ["180", "200", "BYE"], ["greeting", "challenge", *QUEUE], Label.HARASSMENT,
                                at_end=Label.SUSPECT, transcript="um harass"),
    "unsure_caller_answers_what_the_centre_reads_as_harassment": Row(
        Script(said=("um",), after_question=("chitchat",)), Route.ANALYSIS, "analysis_done", ["180", "200", "BYE"],
        ["greeting", "challenge", *QUEUE], Label.HARASSMENT, at_end=Label.SUSPECT, transcript="um chitchat"),
    "centre_head_towards_legitimate_is_no_abuse": Row(
        Script(said=("um",), after_question=("centre clears",)), Route.AGENTS_FLAGGED, "transfer_ok",
        ["180", "200", f"REFER {AGENTS} suspect", "BYE"], ["greeting", "challenge"], Label.SUSPECT,
        at_end=Label.SUSPECT, transcript="um centre clears"),
    "repeat_night_caller_on_a_bad_line_is_never_harassment": Row(
        Script(), Route.AGENTS_FLAGGED, "transfer_ok", ["180", "200", f"REFER {AGENTS} suspect", "BYE"],
        ["greeting", "challenge"], Label.SUSPECT, at_end=Label.HARASSMENT),
    "angry_customer_to_the_senior_agents": Row(
        Script(said=("angry complaint",)), Route.ANGRY_CUSTOMER, "transfer_ok",
        ["180", "200", f"REFER {SENIOR} suspect", "BYE"], ["greeting"], Label.SUSPECT, transcript="angry complaint"),
    "angry_customer_without_senior_agents_goes_to_the_agents": Row(
        Script(said=("angry complaint",)), Route.ANGRY_CUSTOMER, "transfer_ok",
        ["180", "200", f"REFER {AGENTS} suspect", "BYE"], ["greeting"], Label.SUSPECT, transcript="angry complaint",
        senior=None),
    "first_offence_hears_the_recorded_call_notice": Row(
        Script(said=("harass",)), Route.ANALYSIS, "analysis_done", ["180", "200", "BYE"],
        ["greeting", "recorded_notice", *QUEUE], Label.HARASSMENT, transcript="harass", ladder=(1, True)),
    "second_offence_no_notice": Row(
        Script(said=("harass",)), Route.ANALYSIS, "analysis_done", ["180", "200", "BYE"], ["greeting", *QUEUE],
        Label.HARASSMENT, transcript="harass", ladder=(2, False)),
    "harassment_analysis_queue": Row(Script(said=("harass harass",)), Route.ANALYSIS, "analysis_done",
                                     ["180", "200", "BYE"], ["greeting", *QUEUE], Label.HARASSMENT,
                                     transcript="harass harass"),
    "harassment_line_fault": Row(Script(said=("harass",)), Route.LINE_FAULT, "line_fault",
                                 ["180", "200", "BYE"], ["greeting", "line_fault"], Label.HARASSMENT,
                                 deterrent=Deterrent.LINE_FAULT, transcript="harass"),
    "harassment_reject_after_answer_gets_the_queue": Row(
        Script(said=("harass",)), Route.ANALYSIS, "analysis_done", ["180", "200", "BYE"], ["greeting", *QUEUE],
        Label.HARASSMENT, deterrent=Deterrent.REJECT, transcript="harass"),
    "blocklisted_analysis_queue": Row(Script(PreDecision.BLOCKED, Label.HARASSMENT), Route.ANALYSIS,
                                      "analysis_done", ["180", "200", "BYE"], QUEUE, Label.HARASSMENT),
    "blocklisted_reject": Row(Script(PreDecision.BLOCKED, Label.HARASSMENT), Route.REJECTED, "rejected",
                              ["180", "603"], [], Label.HARASSMENT, deterrent=Deterrent.REJECT),
    "blocklisted_line_fault": Row(Script(PreDecision.BLOCKED, Label.HARASSMENT), Route.LINE_FAULT, "line_fault",
                                  ["180", "200", "BYE"], ["line_fault"], deterrent=Deterrent.LINE_FAULT),
    "allowlisted": Row(Script(PreDecision.TO_AGENTS), Route.AGENTS, "transfer_ok", [
        "180", "200", f"REFER {AGENTS} allow", "BYE"], [], Label.ALLOW),
    "allowlisted_redirect_before_answer": Row(Script(PreDecision.TO_AGENTS), Route.AGENTS, "redirect",
                                              ["180", f"302 {AGENTS}"], redirect_allowlisted=True),
    "agent_confirmed_always_the_queue": Row(Script(called_user="analysis"), Route.ANALYSIS, "analysis_done",
                                            ["180", "200", "BYE"], QUEUE, Label.HARASSMENT,
                                            deterrent=Deterrent.REJECT),
    "caller_id_only_suspect": Row(Script(PreDecision.NO_CONTENT, Label.SUSPECT), Route.AGENTS_FLAGGED,
                                  "transfer_ok", ["180", "200", f"REFER {AGENTS} suspect", "BYE"], [], Label.SUSPECT),
    "caller_id_only_harassment": Row(Script(PreDecision.NO_CONTENT, Label.HARASSMENT), Route.LINE_FAULT,
                                     "line_fault", ["180", "200", "BYE"], ["line_fault"], Label.HARASSMENT,
                                     deterrent=Deterrent.LINE_FAULT),
    "no_asr_model_decides_on_caller_id": Row(Script(), Route.AGENTS, "transfer_ok",
                                             ["180", "200", f"REFER {AGENTS} allow", "BYE"], [], asr="none"),
    "decoders_full_screens_on_caller_id": Row(Script(said=("harass",), pre_label=Label.SUSPECT),
                                              Route.AGENTS_FLAGGED, "transfer_ok",
                                              ["180", "200", f"REFER {AGENTS} suspect", "BYE"], [], Label.SUSPECT,
                                              asr="full"),
    "silence_alone_is_never_harassment": Row(Script(silent_caller=True), Route.AGENTS_FLAGGED, "transfer_ok",
                                             ["180", "200", f"REFER {AGENTS} suspect", "BYE"],
                                             ["greeting", "challenge"], Label.SUSPECT),
    "rings_before_answering": Row(Script(PreDecision.TO_AGENTS), Route.AGENTS, "transfer_ok",
                                  ["180", "200", f"REFER {AGENTS} allow", "BYE"], answer_delay_s=0.05),
    "media_timeout": Row(Script(silent_wire=True), Route.MEDIA_TIMEOUT, "media_timeout", ["180", "200", "BYE"],
                         ["greeting"]),
    "shutdown_while_listening_goes_to_agents": Row(Script(said=("um",)), Route.AGENTS, "transfer_ok",
                                                   ["180", "200", f"REFER {AGENTS} allow", "BYE"], ["greeting"],
                                                   Label.ALLOW, at_end=Label.SUSPECT, shutdown_after_s=0.05),
    "shutdown_before_screening_goes_to_agents": Row(Script(pre_label=Label.SUSPECT), Route.AGENTS, "transfer_ok",
                                                    ["180", "200", f"REFER {AGENTS} allow", "BYE"], [],
                                                    shutdown_after_s=0.0),
    # --- the caller leaves at each stage -------------------------------------------------------------------
    "gone_while_ringing": Row(Script(leaves="ringing"), Route.ABANDONED, "cancel", ["180"]),
    "gone_while_ringing_blocklisted": Row(Script(PreDecision.BLOCKED, Label.HARASSMENT, leaves="ringing"),
                                          Route.ABANDONED, "cancel", ["180"]),
    "gone_as_we_answer": Row(Script(leaves="answer"), Route.ABANDONED, "cancel", ["180"]),
    "gone_while_listening": Row(Script(said=("um",), leaves="listening"), Route.ABANDONED, "caller_bye",
                                ["180", "200"], ["greeting"], Label.ALLOW, at_end=Label.SUSPECT),
    "gone_during_transfer": Row(Script(PreDecision.TO_AGENTS, leaves="transfer"), Route.AGENTS, "caller_bye",
                                ["180", "200", f"REFER {AGENTS} allow"]),
    "gone_during_deterrent": Row(Script(PreDecision.BLOCKED, Label.HARASSMENT, leaves="deterrent"), Route.ANALYSIS,
                                 "caller_bye", ["180", "200"], ["analysis_notice", "sit"]),
    # --- faults: every one ends with the caller at the agents (or told why not) ----------------------------
    "asr_raises_fails_open": Row(Script(said=("harass",)), Route.FAIL_OPEN, "transfer_ok",
                                 ["180", "200", f"REFER {AGENTS} allow", "BYE"], ["greeting"], Label.ALLOW,
                                 asr="broken", failures=["LISTENING"]),
    "asr_overload_fails_open": Row(Script(said=("harass",)), Route.FAIL_OPEN, "transfer_ok",
                                   ["180", "200", f"REFER {AGENTS} allow", "BYE"], ["greeting"], Label.ALLOW,
                                   asr="overload", failures=["asr_overload"]),
    "prescreen_raises_redirects_before_answer": Row(Script(prescreen_raises=True), Route.FAIL_OPEN, "redirect",
                                                    ["180", f"302 {AGENTS}"], [], Label.ALLOW,
                                                    failures=["PRESCREEN"]),
    "recorder_fails_call_still_routed": Row(Script(PreDecision.TO_AGENTS), Route.AGENTS, "transfer_ok",
                                            ["180", "200", f"REFER {AGENTS} allow", "BYE"], recorder_fails=True),
    "transfer_refused_goes_to_fallback": Row(
        Script(PreDecision.TO_AGENTS, agents=(REFUSED_403,)), Route.AGENTS, "transfer_fallback_ok",
        ["180", "200", f"REFER {AGENTS} allow", f"REFER {FALLBACK} allow", "BYE"]),
    "transfer_unanswered_is_retried_once": Row(
        Script(PreDecision.TO_AGENTS, agents=(UNANSWERED, OK)), Route.AGENTS, "transfer_ok",
        ["180", "200", f"REFER {AGENTS} allow", f"REFER {AGENTS} allow", "BYE"]),
    "both_refused_apology": Row(
        Script(PreDecision.TO_AGENTS, agents=(REFUSED_403,), fallback=(REFUSED_486,)), Route.AGENTS,
        "transfer_failed:486", ["180", "200", f"REFER {AGENTS} allow", f"REFER {FALLBACK} allow", "BYE"],
        ["transfer_failed"]),
    "refused_without_fallback_apology": Row(
        Script(PreDecision.TO_AGENTS, agents=(REFUSED_403,)), Route.AGENTS, "transfer_failed:403",
        ["180", "200", f"REFER {AGENTS} allow", "BYE"], ["transfer_failed"], fallback=None),
    "transfer_raises_call_still_ended": Row(Script(PreDecision.TO_AGENTS, transfer_raises=True), Route.AGENTS,
                                            "flow_done", ["180", "200", f"REFER {AGENTS} allow", "BYE"],
                                            failures=["TO_AGENTS"]),
    "deterrent_prompt_missing_fails_open": Row(
        Script(PreDecision.BLOCKED, Label.HARASSMENT), Route.FAIL_OPEN, "transfer_ok",
        ["180", "200", f"REFER {AGENTS} allow", "BYE"], [], Label.ALLOW, deterrent=Deterrent.LINE_FAULT,
        failures=["DETERRING"]),
}


class _AfterQuestion(ReplayTranscriberFactory):
    """Replays ``said`` by audio time, and ``after_question`` once the caller heard the question."""

    def __init__(self, said: tuple[Utterance, ...], call: FakeCall, fail_at_s: float | None,
                 max_streams: int | None = None) -> None:
        super().__init__(said, fail_at_s, max_streams)
        self.call = call

    def open_stream(self, call_id: str) -> ReplayStream:
        stream = super().open_stream(call_id)
        later = list(self.call.script.after_question)
        base_poll = stream.poll

        def poll() -> list[AsrEvent]:
            events = base_poll()
            if later and "challenge" in self.call.heard:
                events += [AsrFinal(later.pop(0), 0.0, stream.audio_s, (), 1.0)]
            return events

        stream.poll = poll  # type: ignore[method-assign]
        return stream


def _transcribers(row: Row, call: FakeCall) -> ReplayTranscriberFactory | BrokenAsr | None:
    said = tuple(Utterance(0.2 * (n + 1), text) for n, text in enumerate(row.script.said))
    if row.asr == "none":
        return None
    if row.asr == "broken":
        return BrokenAsr()
    return _AfterQuestion(said, call, fail_at_s=0.1 if row.asr == "overload" else None,
                         max_streams=0 if row.asr == "full" else None)


@dataclass
class FixedLadder:
    answer: tuple[int | None, bool]

    def step_for(self, caller: str | None) -> tuple[int | None, bool]:
        return self.answer


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The queue's two 300 ms pauses are real waits, and speech statistics are checked once a second: the rows
    check the order of things, not their length, so both shrink."""
    import telephony.actions
    import telephony.listening

    monkeypatch.setattr(telephony.actions.Pause, "run", lambda self, call, prompts: not call.ended.is_set())
    monkeypatch.setattr(telephony.listening, "STATS_EVERY_S", 0.05)
    yield


UNSCRIPTED_WAIT_S = 5.0


@pytest.mark.parametrize("name", list(ROWS))
def test_flow_row(name: str) -> None:
    row = ROWS[name]
    call = FakeCall(row.script)
    recorder, observer = Recorder(fails=row.recorder_fails), Observer()
    prompts = dict(PROMPTS)
    if name == "deterrent_prompt_missing_fails_open":
        del prompts["line_fault"]
    policy = FlowPolicy(agents_uri=AGENTS, fallback_uri=row.fallback, deterrent=row.deterrent,
                        redirect_before_answer=row.redirect_allowlisted, answer_delay_s=row.answer_delay_s,
                        senior_agents_uri=row.senior,
                        limits=ListenLimits(listen_timeout_s=0.25, media_timeout_s=0.5, finish_timeout_s=0.5,
                                            challenge_answer_s=0.2))
    transcribers = _transcribers(row, call)
    runner = FlowRunner(ScriptedScreener(row.script, row.at_end), transcribers, recorder, prompts,
                        policy, "node-t", observer=observer,
                        ladder=FixedLadder(row.ladder) if row.ladder is not None else None)
    if row.shutdown_after_s == 0:
        runner.shutdown.set()
    elif row.shutdown_after_s is not None:
        threading.Timer(row.shutdown_after_s, runner.shutdown.set).start()
    started = time.monotonic()
    runner.run(cast(Call, call))
    # Not a speed figure: every wait above is ≤ 0.5 s, so a flow still running after 5 s is waiting on something
    # the row did not script (a default 8 s window, a 30 s transfer timeout). 1 s was too tight at load 17.
    assert time.monotonic() - started < UNSCRIPTED_WAIT_S
    assert len(recorder.records) == 1, "exactly one record per call, whatever happened"
    record = recorder.records[0]
    assert (record.route, record.end_reason) == (row.route, row.end)
    assert call.sip == row.sip
    assert call.heard == row.heard
    assert call.ended.is_set()
    if row.label is not None:
        assert record.verdict.label is row.label
    assert record.transcript == row.transcript  # kept for flagged calls only
    if call.rang_for_s is not None:
        assert call.rang_for_s >= row.answer_delay_s
    assert observer.failures == row.failures
    assert observer.caller_id_only == (1 if row.asr == "full" else 0)  # counted in /metrics
    if isinstance(transcribers, ReplayTranscriberFactory):  # every decoder slot taken is given back
        assert all(stream.closed for stream in transcribers.streams)
    if row.route is Route.FAIL_OPEN:
        assert record.verdict.reasons[0].code == "system.fail_open"
    if name.startswith("agent_confirmed"):
        assert record.confirmed_by == "agent"
    if row.ladder is not None:
        assert record.ladder_step == row.ladder[0]


def test_every_route_has_a_row() -> None:
    assert {row.route for row in ROWS.values()} == set(Route)
