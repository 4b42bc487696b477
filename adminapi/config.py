"""What the admin API needs from the application, as plain values (no ``callscreen`` settings object here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from adminapi.throttle import LoginThrottle, ThrottlePolicy
from records.base import utcnow
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
    clock: Callable[[], datetime] = utcnow  # injected in tests (session expiry, throttling)
    throttle_policy: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    evidence_key: Path | None = None  # the node's Ed25519 key file (records.signing); created on first use
    node: str = "node1"  # names the signer in evidence-pack manifests
    throttle: LoginThrottle = field(init=False)

    def __post_init__(self) -> None:
        clock = self.clock
        object.__setattr__(self, "throttle", LoginThrottle(lambda: clock().timestamp(), self.throttle_policy))
