"""Configuration of the screening core, independent of the application's settings object.

``screening`` must not import ``callscreen`` (layering), so the composition root maps
``callscreen.settings.ScreeningSettings`` onto :class:`ScreeningConfig` with :meth:`ScreeningConfig.from_values`:
field names match the settings names, and names the core does not know (``blocked_policy``) are ignored.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo


class ScreenMode(enum.StrEnum):
    """When the content of a call is screened (same values as the settings' ``screening.mode``)."""

    ALWAYS = "always"
    NIGHT_NOON = "night_noon"
    SUSPICIOUS = "suspicious"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A daily window in local time; ``start > end`` wraps midnight (22:00–06:00)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    @classmethod
    def parse(cls, text: str) -> TimeWindow:
        """``"22:00-06:00"`` → window; raises ValueError naming the text."""
        try:
            first, last = text.split("-")
            return cls(time.fromisoformat(first.strip()), time.fromisoformat(last.strip()))
        except ValueError as exc:
            raise ValueError(f"time window {text!r} is not HH:MM-HH:MM") from exc


@dataclass(frozen=True, slots=True)
class ScreeningConfig:
    mode: ScreenMode = ScreenMode.ALWAYS
    listen_timeout_s: float = 8.0
    timezone: str = "Asia/Shanghai"
    suspect_threshold: float = 0.4
    harassment_threshold: float = 0.75
    early_threshold: float = 0.9  # content+caller score at which a verdict is final before the window ends
    early_allow: bool = True  # a final utterance with clear business intent and nothing else ends screening
    min_listen_s: float = 1.0  # no early verdict on partials before this much audio
    lexicon_dir: Path | None = None  # per-deployment lexicon and weights files, overriding the packaged ones
    night: str = "22:00-06:00"
    noon: str = "11:30-13:30"
    repeat_count: int = 3  # this many calls from one number …
    repeat_window_min: float = 30.0  # … within this many minutes is a repeat caller
    burst_count: int = 5  # this many calls from one prefix (other numbers) …
    burst_window_min: float = 10.0  # … within this many minutes is a prefix burst
    burst_drop_digits: int = 4  # prefix = normalised number without its last N digits (an extension block)
    burst_mobile: bool = False  # mobile number segments are shared by millions: no bursts from them by default
    confirmation_window_days: float = 30.0  # agent confirmations of this number count for this long
    no_business_min_chars: int = 8  # speech needed before "nothing about the business" can fire
    silence_min_s: float = 4.0  # a window this long without speech is a silence call

    def __post_init__(self) -> None:
        if not 0 <= self.suspect_threshold <= self.harassment_threshold <= 1:
            raise ValueError("thresholds must satisfy 0 <= suspect_threshold <= harassment_threshold <= 1")
        if self.listen_timeout_s <= 0:
            raise ValueError(f"listen_timeout_s must be positive, got {self.listen_timeout_s}")
        if self.repeat_count < 2 or self.burst_count < 2:
            raise ValueError("repeat_count and burst_count must be at least 2")
        ZoneInfo(self.timezone)  # raises for an unknown zone
        TimeWindow.parse(self.night)
        TimeWindow.parse(self.noon)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def night_window(self) -> TimeWindow:
        return TimeWindow.parse(self.night)

    @property
    def noon_window(self) -> TimeWindow:
        return TimeWindow.parse(self.noon)

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> ScreeningConfig:
        """Build from a settings section's values (``settings.screening.model_dump()``), ignoring other keys."""
        known = {f.name for f in dataclasses.fields(cls)}
        picked = {k: v for k, v in values.items() if k in known}
        if "mode" in picked:
            picked["mode"] = ScreenMode(str(picked["mode"]))
        return cls(**picked)  # type: ignore[arg-type]
