"""What the admin API needs from the application, as plain values (no ``callscreen`` settings object here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from records.database import Database
from records.policy import AutoEntryPolicy
from records.reports import DEFAULT_AGENT_SECONDS


@dataclass(frozen=True, slots=True)
class ApiConfig:
    db: Database
    max_upload_bytes: int
    salt: bytes
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    agent_seconds_per_call: int = DEFAULT_AGENT_SECONDS
    policy: AutoEntryPolicy = field(default_factory=AutoEntryPolicy)
    evidence_key: Path | None = None  # the node's Ed25519 key file (records.signing); created on first use
    node: str = "node1"  # names the signer in evidence-pack manifests
