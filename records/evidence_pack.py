"""The tamper-evident evidence pack: hash-chained records and a manifest signed with the node's Ed25519 key.

What a carrier or the police receive about a source (one number, optionally within a time window) or about a time
window (every *flagged* call in it — unflagged customers' calls are not evidence and are left out). A pack is a
UTF-8 JSON-lines file, readable with any text tool:

* one line per record — ``{"seq", "kind", "ref", "prev", "data", "hash"}`` — in a fixed order: calls (verdict,
  score, every reason, transcript while retained), incidents, carrier-bill lines, list entries, audit entries;
  ``hash`` is SHA-256 over the record's canonical JSON (without ``hash``), and ``prev`` is the previous record's
  hash (the first record's ``prev`` is the manifest's ``genesis``);
* a last line ``{"manifest": {...}, "signature": ...}``: subject, record count, genesis, head (last hash), the
  signer's public key and fingerprint, signed over the manifest's canonical JSON.

:func:`verify` walks the chain and names the first altered, missing or reordered record. Re-hashing an altered
record does not help a forger: the next record's ``prev`` or the signed head no longer match.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records.audit import record_change
from records.errors import InvalidInputError
from records.evidence import MAX_CALLS, reason_codes
from records.models import AuditEntry, BillLine, Incident, NumberEntry, ScreenedCall
from records.signing import fingerprint, public_raw, sign, signature_valid
from screening.verdict import Label

FORMAT = "callscreen-evidence/1"
MEDIA_TYPE = "application/x-ndjson"


@dataclass(frozen=True, slots=True)
class PackSubject:
    """What a pack is about: a number (optionally windowed) or a time window (flagged calls only)."""

    number: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.number is None and (self.since is None or self.until is None):
            raise InvalidInputError("an evidence pack needs a number, or a time window with both since and until")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InvalidInputError("since must be before until")

    def as_dict(self) -> dict[str, str | None]:
        return {"number": self.number, "since": _iso(self.since), "until": _iso(self.until)}

    @property
    def label(self) -> str:
        if self.number is not None:
            return self.number
        return f"{_iso(self.since)}..{_iso(self.until)}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def canonical(value: Any) -> bytes:
    """The bytes that are hashed and signed: sorted keys, no spaces, UTF-8 — the same on every machine."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def _genesis(pack_id: str) -> str:
    return hashlib.sha256(f"{FORMAT}:{pack_id}".encode()).hexdigest()


def _call(c: ScreenedCall) -> tuple[str, dict[str, Any]]:
    return f"call {c.call_id}@{c.node}", {
        "id": c.id, "call_id": c.call_id, "node": c.node, "started_at": _iso(c.started_at),
        "ended_at": _iso(c.ended_at), "caller": c.caller, "caller_hash": c.caller_hash, "caller_kind": c.caller_kind,
        "route": c.route.value, "label": c.label.value, "score": c.score, "reasons": reason_codes(c),
        "transcript": c.transcript, "confirmed_by": c.confirmed_by, "end_reason": c.end_reason,
        "called_user": c.called_user,
    }  # fmt: skip


def _incident(i: Incident) -> tuple[str, dict[str, Any]]:
    return f"incident {i.id}", {"id": i.id, "occurred_at": _iso(i.occurred_at), "agent": i.agent, "note": i.note,
                                "call_id": i.call_id}  # fmt: skip


def _bill_line(b: BillLine) -> tuple[str, dict[str, Any]]:
    return f"bill line {b.id}", {
        "id": b.id, "import_id": b.import_id, "called_at": _iso(b.called_at), "caller": b.caller,
        "caller_raw": b.caller_raw, "duration_s": b.duration_s,
    }  # fmt: skip


def _entry(e: NumberEntry) -> tuple[str, dict[str, Any]]:
    return f"list entry {e.id}", {
        "id": e.id, "list": e.list.value, "kind": e.kind.value, "value": e.value, "reason": e.reason,
        "source": e.source.value, "author": e.author, "status": e.status.value, "created_at": _iso(e.created_at),
        "updated_at": _iso(e.updated_at), "expires_at": _iso(e.expires_at),
    }  # fmt: skip


def _audit(a: AuditEntry) -> tuple[str, dict[str, Any]]:
    return f"audit {a.id}", {"id": a.id, "at": _iso(a.at), "actor": a.actor, "action": a.action, "target": a.target,
                             "before": a.before, "after": a.after}  # fmt: skip


def _flagged() -> Any:
    return or_(ScreenedCall.label != Label.ALLOW, ScreenedCall.confirmed_by.is_not(None))


def collect_records(session: Session, subject: PackSubject) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, ref, data) for every record of the pack, in pack order."""
    calls_stmt = select(ScreenedCall)
    calls_stmt = (
        calls_stmt.where(ScreenedCall.caller == subject.number) if subject.number else calls_stmt.where(_flagged())
    )
    if subject.since is not None:
        calls_stmt = calls_stmt.where(ScreenedCall.started_at >= subject.since)
    if subject.until is not None:
        calls_stmt = calls_stmt.where(ScreenedCall.started_at < subject.until)
    calls = list(session.scalars(calls_stmt.order_by(ScreenedCall.started_at, ScreenedCall.id).limit(MAX_CALLS)))
    callers = sorted({c.caller for c in calls if c.caller} | ({subject.number} if subject.number else set()))
    call_ids = sorted({c.call_id for c in calls})
    incidents = list(session.scalars(
        select(Incident).where(Incident.call_id.in_(call_ids)).order_by(Incident.occurred_at, Incident.id)
    )) if call_ids else []  # fmt: skip
    bills_stmt = select(BillLine).where(BillLine.caller.in_(callers))
    if subject.since is not None:
        bills_stmt = bills_stmt.where(BillLine.called_at >= subject.since)
    if subject.until is not None:
        bills_stmt = bills_stmt.where(BillLine.called_at < subject.until)
    bills = list(session.scalars(bills_stmt.order_by(BillLine.called_at, BillLine.id).limit(MAX_CALLS)))
    entries = list(session.scalars(select(NumberEntry).where(NumberEntry.value.in_(callers)).order_by(NumberEntry.id)))
    targets = [f"entry:{e.id}" for e in entries] + [f"evidence:{n}" for n in callers]
    audits = list(session.scalars(select(AuditEntry).where(AuditEntry.target.in_(targets)).order_by(AuditEntry.id)))
    yield from (("call", *_call(c)) for c in calls)
    yield from (("incident", *_incident(i)) for i in incidents)
    yield from (("bill_line", *_bill_line(b)) for b in bills)
    yield from (("list_entry", *_entry(e)) for e in entries)
    yield from (("audit", *_audit(a)) for a in audits)


@dataclass
class PackSummary:
    """Filled in while the pack is written: what the audit entry and the caller report."""

    pack_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    records: int = 0
    head: str = ""
    counts: dict[str, int] = field(default_factory=dict)


def write_pack(
    records: Iterable[tuple[str, str, dict[str, Any]]],
    *,
    subject: PackSubject,
    key: Ed25519PrivateKey,
    node: str,
    created_at: datetime,
    summary: PackSummary | None = None,
) -> Iterator[str]:
    """The pack's lines (each ending in a newline): chained records, then the signed manifest."""
    summary = summary if summary is not None else PackSummary()
    genesis = prev = _genesis(summary.pack_id)
    for seq, (kind, ref, data) in enumerate(records, start=1):
        record: dict[str, Any] = {"seq": seq, "kind": kind, "ref": ref, "prev": prev, "data": data}
        record["hash"] = prev = _record_hash(record)
        summary.records = seq
        summary.counts[kind] = summary.counts.get(kind, 0) + 1
        yield json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    summary.head = prev
    raw = public_raw(key.public_key())
    manifest = {
        "format": FORMAT, "pack_id": summary.pack_id, "created_at": created_at.isoformat(), "node": node,
        "subject": subject.as_dict(), "records": summary.records, "counts": summary.counts, "genesis": genesis,
        "head": prev, "public_key": base64.b64encode(raw).decode("ascii"), "key_fingerprint": fingerprint(raw),
    }  # fmt: skip
    yield json.dumps({"manifest": manifest, "signature": sign(key, canonical(manifest))}, ensure_ascii=False) + "\n"


def note_export(session: Session, subject: PackSubject, summary: PackSummary, *, actor: str) -> None:
    """The audit entry that says who took which pack (written in the export's unit of work)."""
    record_change(
        session, actor=actor, action="evidence.export", target=f"evidence:{subject.label}"[:120],
        after={"pack_id": summary.pack_id, "records": summary.records, "head": summary.head, **subject.as_dict()},
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    records: int  # records checked (intact ones before the problem)
    problem: str | None = None
    record: int | None = None  # the seq of the record named by the problem
    key_fingerprint: str | None = None

    def __str__(self) -> str:
        signer = f" (signed by key {self.key_fingerprint})" if self.key_fingerprint else ""
        if self.ok:
            return f"OK: {self.records} record(s), chain intact, manifest signature valid{signer}"
        return f"FAILED: {self.problem}{signer}"


def _fail(problem: str, checked: int, record: int | None, fp: str | None = None) -> VerifyResult:
    return VerifyResult(False, checked, problem, record, fp)


def _parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _read_manifest(lines: list[str], trusted: Ed25519PublicKey | None) -> tuple[dict[str, Any] | str, str | None]:
    """The verified manifest, or a problem description; plus the signer's fingerprint when known."""
    last = _parse(lines[-1]) if lines else None
    if last is None or not isinstance(last.get("manifest"), dict) or not isinstance(last.get("signature"), str):
        return "the manifest (last line) is missing or damaged", None
    manifest: dict[str, Any] = last["manifest"]
    if manifest.get("format") != FORMAT:
        return f"unknown pack format {manifest.get('format')!r}", None
    try:
        embedded = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(manifest.get("public_key")), validate=True))
    except ValueError:
        return "the manifest's public key is damaged", None
    fp = fingerprint(public_raw(embedded))
    if trusted is not None and public_raw(trusted) != public_raw(embedded):
        return f"the pack was signed by key {fp}, not by the trusted key {fingerprint(public_raw(trusted))}", fp
    if not signature_valid(embedded, canonical(manifest), last["signature"]):
        return "the manifest was altered: its signature is not valid", fp
    return manifest, fp


def verify(lines: list[str], *, trusted: Ed25519PublicKey | None = None) -> VerifyResult:
    """Check the signature, then the chain; name the first altered, missing or reordered record."""
    lines = [line for line in lines if line.strip()]
    manifest, fp = _read_manifest(lines, trusted)
    if isinstance(manifest, str):
        return _fail(manifest, 0, None, fp)
    body = [_parse(line) for line in lines[:-1]]
    seqs = [r.get("seq") if r is not None else None for r in body]
    prev, expected = manifest.get("genesis"), 1
    for position, record in enumerate(body, start=1):
        if record is None:
            return _fail(f"record {expected} (line {position}) was altered: it is not valid JSON", expected - 1,
                         expected, fp)  # fmt: skip
        ref = record.get("ref", "?")
        if record.get("hash") != _record_hash(record):
            return _fail(f"record {expected} ({ref}, line {position}) was altered: its content does not match its "
                         "hash", expected - 1, expected, fp)  # fmt: skip
        seq = record.get("seq")
        if seq != expected:
            if expected in seqs[position:]:
                return _fail(f"records reordered: record {seq} ({ref}) stands where record {expected} belongs "
                             f"(line {position})", expected - 1, expected, fp)  # fmt: skip
            return _fail(f"record {expected} is missing (line {position} holds record {seq}, {ref})", expected - 1,
                         expected, fp)  # fmt: skip
        if record.get("prev") != prev:
            before = expected - 1
            return _fail(f"record {before} was altered or replaced: record {expected} ({ref}) is not chained to it",
                         before - 1, before, fp)  # fmt: skip
        prev, expected = record["hash"], expected + 1
    count = manifest.get("records")
    if expected - 1 != count:
        if isinstance(count, int) and expected - 1 < count:
            return _fail(f"record {expected} is missing: the pack ends after {expected - 1} of {count} records",
                         expected - 1, expected, fp)  # fmt: skip
        return _fail(f"the pack holds {expected - 1} records, the manifest says {count}", expected - 1, None, fp)
    if prev != manifest.get("head"):
        return _fail(f"record {count} was altered or replaced: it is not the head the manifest signed", count - 1,
                     count, fp)  # fmt: skip
    return VerifyResult(True, count, key_fingerprint=fp)
