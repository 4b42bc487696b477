"""What the admin API needs from the application, as plain values (no ``callscreen`` settings object here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from adminapi.keycache import KeyCache
from adminapi.throttle import LoginThrottle, ThrottlePolicy
from records.base import utcnow
from records.costs import Tariffs
from records.database import Database
from records.lookup import MemoryLists
from records.policy import AutoEntryPolicy
from screening.config import ScreeningConfig

if TYPE_CHECKING:  # the route module imports this one
    from adminapi.routes.model import ModelControl


@dataclass(frozen=True, slots=True)
class ApiConfig:
    db: Database
    max_upload_bytes: int
    salt: bytes
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    tariffs: Tariffs = field(default_factory=Tariffs)  # toll-free per-minute tariffs (cost report)
    policy: AutoEntryPolicy = field(default_factory=AutoEntryPolicy)
    clock: Callable[[], datetime] = utcnow  # injected in tests (session expiry, throttling)
    throttle_policy: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    evidence_key: Path | None = None  # the node's Ed25519 key file (records.signing); created on first use
    node: str = "node1"  # names the signer in evidence-pack manifests
    screening: ScreeningConfig = field(default_factory=ScreeningConfig)  # the live settings, shadow's baseline
    model_control: ModelControl | None = None  # a screening node's learned-model control; None: /admin/model is 404
    lists: MemoryLists | None = None  # the node's in-memory lists for /lookup; None: the database answers alone
    key_cache_ttl_s: float = 5.0  # how long a verified API key is trusted without asking the database (keycache)
    throttle: LoginThrottle = field(init=False)
    key_cache: KeyCache = field(init=False)

    def __post_init__(self) -> None:
        clock = self.clock
        object.__setattr__(self, "throttle", LoginThrottle(lambda: clock().timestamp(), self.throttle_policy))
        object.__setattr__(self, "key_cache", KeyCache(self.key_cache_ttl_s, lambda: clock().timestamp()))
