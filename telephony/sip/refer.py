"""Blind transfer with REFER (RFC 3515, RFC 5589 §6): the request's headers and the NOTIFY sipfrag that follows.

The transferee (the PBX or the caller's proxy) answers 202 and then reports the progress of the new call in
NOTIFYs whose body is a ``message/sipfrag`` status line. A final sipfrag 2xx means the caller reached the target;
a final ≥300 means the transfer failed and the caller is *still with us* — the flow then tries the fallback
target (fail open: never silently dropped). A 202 followed by no final NOTIFY within the wait counts as
accepted: a blind transfer is done once it was accepted (§6 of RFC 5589), and many PBXs only NOTIFY 100.
What is *not* here: attended transfer (Replaces), subscriptions beyond the implicit one.

The verdict travels to the agent inside the Refer-To URI as embedded headers (RFC 3261 §19.1.1,
``sip:agents@pbx?X-Callscreen-Verdict=suspect&X-Callscreen-Ref=…``): the transferee copies them into the INVITE
it sends to the target (RFC 3515 §2.1 and RFC 3261 §19.1.5), so the agent's phone sees them. A header on the
REFER itself (``X-Callscreen-Verdict``, kept for the PBX) never reaches the agent.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from telephony.sip.message import SipRequest, SipResponse

VERDICT_HEADER = "X-Callscreen-Verdict"
SCORE_HEADER = "X-Callscreen-Score"
ROUTE_HEADER = "X-Callscreen-Route"  # set for angry customers (senior agents)
REF_HEADER = "X-Callscreen-Ref"  # the call reference an agent quotes to the API (``/calls/by-ref/{ref}``)
SIPFRAG_TYPE = "message/sipfrag"
# RFC 3261 §25.1: hname/hvalue = 1*( hnv-unreserved / unreserved / escaped ); anything else is %HH-escaped.
_HNV_SAFE = "-_.!~*'()" + "[]/?:+$"


class TransferOutcome(enum.Enum):
    COMPLETED = "completed"  # final NOTIFY sipfrag 2xx
    ACCEPTED = "accepted"  # 202, no final NOTIFY before the wait ended
    REFUSED = "refused"  # REFER got a final non-2xx, or NOTIFY reported ≥300
    TIMEOUT = "timeout"  # REFER never answered
    CALL_ENDED = "call_ended"  # the caller hung up meanwhile


@dataclass(frozen=True, slots=True)
class TransferResult:
    outcome: TransferOutcome
    status: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome in (TransferOutcome.COMPLETED, TransferOutcome.ACCEPTED)


def with_embedded_headers(uri: str, embedded: Sequence[tuple[str, str]]) -> str:
    """``uri`` with ``?name=value&…`` appended (or extended), each name and value escaped per RFC 3261 §19.1.1."""
    if not embedded:
        return uri
    pairs = "&".join(f"{quote(name, safe=_HNV_SAFE)}={quote(value, safe=_HNV_SAFE)}" for name, value in embedded)
    return f"{uri}{'&' if '?' in uri else '?'}{pairs}"


def embedded_headers(uri: str) -> list[tuple[str, str]]:
    """The headers embedded in a SIP URI (``<…>`` allowed), unescaped — what a transferee puts in its INVITE."""
    inner = uri.strip()
    if inner.startswith("<"):
        inner = inner[1:inner.index(">")] if ">" in inner else inner[1:]
    _, sep, query = inner.partition("?")
    if not sep:
        return []
    pairs = []
    for item in query.split("&"):
        name, _, value = item.partition("=")
        if name:
            pairs.append((unquote(name), unquote(value)))
    return pairs


def refer_headers(
    target: str, referred_by: str, verdict: str | None, embedded: Sequence[tuple[str, str]] = ()
) -> tuple[tuple[str, str], ...]:
    refer_to = with_embedded_headers(target, embedded)
    headers: list[tuple[str, str]] = [("Refer-To", f"<{refer_to}>"), ("Referred-By", referred_by)]
    if verdict:
        headers.append((VERDICT_HEADER, verdict))
    return tuple(headers)


def parse_sipfrag(body: bytes) -> int | None:
    """Status code of a sipfrag body (``SIP/2.0 200 OK``), None when the body is not a status line."""
    first = body.decode("utf-8", errors="replace").strip().splitlines()[:1]
    if not first:
        return None
    parts = first[0].split()
    if len(parts) >= 2 and parts[0].upper() == "SIP/2.0" and parts[1].isdigit():
        return int(parts[1])
    return None


class PendingTransfer:
    """One REFER in flight: fed by the endpoint (response, NOTIFYs), awaited by the call flow."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._accepted = threading.Event()
        self._result: TransferResult | None = None
        self.progress: list[int] = []

    def _finish(self, result: TransferResult) -> None:
        if self._result is None:
            self._result = result
        self._done.set()
        self._accepted.set()

    def on_refer_response(self, response: SipResponse | None) -> None:
        if response is None:
            self._finish(TransferResult(TransferOutcome.TIMEOUT))
        elif 200 <= response.status < 300:
            self._accepted.set()
        else:
            self._finish(TransferResult(TransferOutcome.REFUSED, response.status))

    def on_notify(self, request: SipRequest) -> None:
        status = parse_sipfrag(request.body)
        if status is None:
            return
        self.progress.append(status)
        terminated = (request.headers.get("Subscription-State") or "").lower().startswith("terminated")
        if 200 <= status < 300:
            self._finish(TransferResult(TransferOutcome.COMPLETED, status))
        elif status >= 300:
            self._finish(TransferResult(TransferOutcome.REFUSED, status))
        elif terminated:
            self._finish(TransferResult(TransferOutcome.ACCEPTED, status))

    def on_call_ended(self) -> None:
        self._finish(TransferResult(TransferOutcome.CALL_ENDED))

    def wait(self, answer_timeout: float, notify_timeout: float) -> TransferResult:
        """Wait for the REFER's answer, then for a final NOTIFY; a silent but accepted REFER counts as ACCEPTED."""
        if not self._accepted.wait(answer_timeout):
            return TransferResult(TransferOutcome.TIMEOUT)
        if not self._done.wait(notify_timeout):
            return TransferResult(TransferOutcome.ACCEPTED, self.progress[-1] if self.progress else 202)
        assert self._result is not None
        return self._result
