"""Configuration of the screening core — the one definition of the ``[screening]`` settings section.

``screening`` must not import ``callscreen`` (layering), so the model lives here and the application's
``callscreen.settings.Settings`` uses it as its ``screening`` section directly (extending it only with what the
call flow, not the judgement, needs: ``blocked_policy``). There is no mirror to keep in step: a knob added here is
a setting, validated once, with the bounds below.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WINDOW_PATTERN = r"^\d{2}:\d{2}-\d{2}:\d{2}$"


class ScreenMode(enum.StrEnum):
    """When the content of a call is screened (caller ID and time are always screened)."""

    ALWAYS = "always"
    NIGHT_NOON = "night_noon"  # content screening only inside the night/noon windows
    SUSPICIOUS = "suspicious"  # content screening only for suspicious caller IDs
    OFF = "off"  # caller ID and time only


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


class ScreeningConfig(BaseModel):
    """Every knob of the judgement that an operator may set (frozen; unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: ScreenMode = ScreenMode.ALWAYS
    listen_timeout_s: float = Field(default=8.0, gt=0, le=60)
    timezone: str = "Asia/Shanghai"
    suspect_threshold: float = Field(default=0.4, ge=0, le=1)
    harassment_threshold: float = Field(default=0.75, ge=0, le=1)
    # Content+caller score at which a verdict is final before the window ends; above 1 it never ends early.
    early_threshold: float = Field(default=0.9, gt=0)
    early_allow: bool = True  # a final utterance with clear business intent and nothing else ends screening
    min_listen_s: float = Field(default=1.0, ge=0, le=60)  # no early verdict on partials before this much audio
    lexicon_dir: Path | None = None  # per-deployment lexicon and weights files, overriding the packaged ones
    night: str = Field(default="22:00-06:00", pattern=WINDOW_PATTERN)  # local time, may wrap midnight
    noon: str = Field(default="11:30-13:30", pattern=WINDOW_PATTERN)
    repeat_count: int = Field(default=3, ge=2, le=1000)  # this many calls from one number …
    repeat_window_min: float = Field(default=30.0, gt=0, le=10080)  # … within this many minutes is a repeat caller
    burst_count: int = Field(default=5, ge=2, le=10000)  # this many calls from one prefix (other numbers) …
    burst_window_min: float = Field(default=10.0, gt=0, le=10080)  # … within this many minutes is a prefix burst
    burst_drop_digits: int = Field(default=4, ge=1, le=8)  # prefix = number without its last N digits
    burst_mobile: bool = False  # mobile number segments are shared by millions: no bursts from them by default
    confirmation_window_days: float = Field(default=30.0, gt=0, le=3650)  # agent confirmations count this long
    no_business_min_chars: int = Field(default=8, ge=1, le=200)  # speech before "nothing about the business"
    learned: bool = True  # also judge content with the learned models (screening/learned); False: rules only
    model_dir: Path | None = None  # a model directory written by `callscreen train`; None: the shipped model
    silence_min_s: float = Field(default=4.0, gt=0, le=60)  # a window this long without speech is a silence call

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("night", "noon")
    @classmethod
    def _window(cls, value: str) -> str:
        TimeWindow.parse(value)  # "25:00-06:00" matches the pattern but is no time
        return value

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> Self:
        if self.suspect_threshold > self.harassment_threshold:
            raise ValueError("suspect_threshold is above harassment_threshold")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def night_window(self) -> TimeWindow:
        return TimeWindow.parse(self.night)

    @property
    def noon_window(self) -> TimeWindow:
        return TimeWindow.parse(self.noon)
