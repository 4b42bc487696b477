"""Call-flow words that several telephony modules share, as enums (the states and events are in
:mod:`telephony.flow`). Stored values are the same strings the records have always held: no migration.
"""

from __future__ import annotations

import enum


class Deterrent(enum.StrEnum):
    """What a confirmed harasser gets (setting ``screening.blocked_policy``).

    The verb lists are :func:`telephony.actions.analysis_queue` and :func:`telephony.actions.line_fault`.
    """

    ANALYSIS = "analysis"  # auto-analysis queue: notice, SIT, "analysis complete", hang up
    LINE_FAULT = "line_fault"  # "line fault, please call later" prompt, hang up
    REJECT = "reject"  # 603 Decline before answering (an answered call gets the analysis queue instead)


class EndReason(enum.StrEnum):
    """Why a call ended, as stored in its record (``CallRecord.end_reason``) and shown to managers."""

    CALLER_BYE = "caller_bye"  # the caller hung up (BYE)
    CANCEL = "cancel"  # the caller gave up before we answered (CANCEL)
    NO_ACK = "no_ack"  # our 200 OK was never acknowledged
    MEDIA_TIMEOUT = "media_timeout"  # no RTP for too long while listening
    REDIRECT = "redirect"  # 302 to the agents before answering
    TRANSFER_OK = "transfer_ok"  # REFER to the agents accepted
    TRANSFER_FALLBACK_OK = "transfer_fallback_ok"  # REFER to the fallback target accepted
    TRANSFER_FAILED = "transfer_failed"  # no target took the call: apology, hang up (stored as ``:<status>``)
    REJECTED = "rejected"  # 603 Decline before answering (deterrent ``reject``)
    ANALYSIS_DONE = "analysis_done"  # the auto-analysis queue ran to its end
    LINE_FAULT = "line_fault"  # the line-fault prompt ran to its end
    SHUTDOWN = "shutdown"  # the service stopped while the call was still up
    FLOW_DONE = "flow_done"  # the flow ended without a more specific reason


def end_reason_text(reason: EndReason, detail: str = "") -> str:
    """The stored form: the reason's value, with a detail (a SIP status) after a colon — ``transfer_failed:403``."""
    return f"{reason.value}:{detail}" if detail else reason.value
