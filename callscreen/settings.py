"""One settings object for the whole service.

Built once, in the CLI entry point, and passed down: nothing below the entry point reads ``os.environ``.
Sources, lowest to highest precedence: defaults (an embedded single-node install), a TOML file
(``--config`` or ``CALLSCREEN_CONFIG``), ``CALLSCREEN_*`` environment variables (``CALLSCREEN_SIP_PORT`` sets
``sip.port``: the first ``_`` after the prefix separates the section from the key), and finally
``VOSK_MODEL_PATH``, which always overrides the model directory because operators and the test suite use it to
point at a model by hand.

Invalid settings raise :class:`SettingsError` whose message is one line naming the key and the problem.
"""

from __future__ import annotations

import enum
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from screening.config import ScreeningConfig
from telephony.actions import Deterrent

ENV_PREFIX = "CALLSCREEN_"
CONFIG_ENV = "CALLSCREEN_CONFIG"
MODEL_PATH_ENV = "VOSK_MODEL_PATH"
DEFAULT_MODEL_NAME = "vosk-model-small-cn-0.22"


class SettingsError(ValueError):
    """A setting is invalid; the message is a single line meant for the operator."""


class SipMode(enum.StrEnum):
    TRUNK = "trunk"  # peer mode: INVITEs from configured peer addresses, no REGISTER
    REGISTER = "register"  # extension registered on a PBX


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SipSettings(_Section):
    mode: SipMode = SipMode.TRUNK
    bind_host: str = "127.0.0.1"
    port: int = Field(default=5060, ge=1, le=65535)
    public_host: str | None = None  # written into Via/Contact/SDP; defaults to bind_host
    peers: list[str] = Field(default_factory=lambda: ["127.0.0.1"])  # trunk-mode ACL (addresses or CIDRs)
    registrar: str | None = None  # host[:port] in register mode
    username: str = "callscreen"
    password: SecretStr | None = None
    register_expires_s: int = Field(default=300, ge=30, le=86400)
    agents_uri: str = "sip:agents@127.0.0.1"
    fallback_uri: str | None = None  # where a failed transfer goes (302 before answer when possible)
    analysis_user: str = "analysis"  # user part agents transfer confirmed harassers to
    max_calls: int = Field(default=50, ge=1, le=10000)
    answer_delay_ms: int = Field(default=200, ge=0, le=10000)  # ringing before answering
    redirect_allowlisted: bool = False  # allowlisted callers: 302 to agents_uri before answering (no REFER)
    transfer_notify_timeout_s: float = Field(default=10.0, gt=0, le=120)  # wait for the REFER's final NOTIFY
    drain_timeout_s: float = Field(default=20.0, ge=0, le=600)  # SIGTERM: in-flight calls finish or go to agents
    # Flood control per source address (peers listed as single addresses are exempt: their traffic is everyone's).
    flood_rate_per_s: float = Field(default=200.0, gt=0)
    flood_burst: float = Field(default=400.0, ge=1)
    flood_ban_s: float = Field(default=60.0, ge=0)


class RtpSettings(_Section):
    port_min: int = Field(default=10000, ge=1024, le=65535)
    port_max: int = Field(default=20000, ge=1024, le=65535)
    media_timeout_s: float = Field(default=10.0, gt=0)
    jitter_frames: int = Field(default=16, ge=4, le=1024)

    @field_validator("jitter_frames")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError(f"must be a power of two (the ring is indexed by sequence mod capacity), got {value}")
        return value


class PromptSettings(_Section):
    override_dir: Path | None = None  # recorded WAVs (8 kHz mono 16-bit) replacing the packaged prompts by name


class AsrSettings(_Section):
    model_path: Path | None = None  # operator-supplied directory; VOSK_MODEL_PATH overrides
    model_dir: Path = Path("var/models")  # what `callscreen model fetch` fills
    model_name: str = DEFAULT_MODEL_NAME
    model_base_url: str = "https://alphacephei.com/vosk/models"
    workers: int = Field(default=2, ge=1, le=64)
    endpoint_silence_ms: int = Field(default=600, ge=100, le=5000)
    # Audio a call's decoder may trail by before the call fails open: 3 s of 20 ms frames. 1 s was too tight —
    # a stream's first decode alone can take that long on a loaded 2-core node.
    queue_frames: int = Field(default=150, ge=5, le=5000)

    @property
    def resolved_model_path(self) -> Path:
        """The model directory actually used: explicit path if given, else the fetched default."""
        return self.model_path if self.model_path is not None else self.model_dir / self.model_name


class ScreeningSettings(ScreeningConfig):
    """The judgement's own configuration model, plus what the call flow does with a confirmed harasser."""

    blocked_policy: Deterrent = Deterrent.ANALYSIS


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/callscreen.db"
    echo: bool = False
    list_poll_s: float = Field(default=1.0, gt=0, le=60)  # how often each node checks for list changes
    spool_dir: Path | None = None  # where unwritten call records wait; defaults to <data_dir>/spool
    # Automatic block entries: proposed after this many harassment verdicts (or any agent confirmation) ...
    auto_block_after: int = Field(default=3, ge=1, le=1000)
    auto_block_window_days: int = Field(default=30, ge=1, le=3650)
    auto_activate_at: int | None = Field(default=None, ge=1, le=1000)  # ... and activated without review at this
    auto_block_expires_days: int | None = Field(default=180, ge=1, le=3650)


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    enabled: bool = True
    agent_seconds_per_call: int = Field(default=90, ge=0, le=3600)  # for the "agent time saved" estimate


class LogSettings(_Section):
    level: str = "INFO"
    json_lines: bool = Field(default=False, alias="json")
    mask_numbers: bool = True

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return upper


class PrivacySettings(_Section):
    retention_days: int = Field(default=90, ge=1, le=3650)
    hash_salt: SecretStr | None = None  # salt for caller hashes; generated and stored in var/ when unset
    purge_interval_s: float = Field(default=6 * 3600.0, ge=60)  # how often `serve` runs the retention purge
    unflagged_days: int = Field(default=30, ge=1, le=3650)  # never-flagged callers' numbers → salted hash
    evidence_days: int = Field(default=730, ge=1, le=36500)  # flagged sources' numbers and bill lines kept this long
    bill_days: int = Field(default=90, ge=1, le=3650)  # carrier bills (everyone's numbers) deleted after this
    shadow_days: int = Field(default=7, ge=1, le=90)  # shadow-mode screening inputs kept this long


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        frozen=True,
        populate_by_name=True,
    )

    data_dir: Path = Path("var")
    node_name: str = "node1"
    sip: SipSettings = Field(default_factory=SipSettings)
    rtp: RtpSettings = Field(default_factory=RtpSettings)
    prompts: PromptSettings = Field(default_factory=PromptSettings)
    asr: AsrSettings = Field(default_factory=AsrSettings)
    screening: ScreeningSettings = Field(default_factory=ScreeningSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the TOML file (the file's values arrive as init kwargs).
        return (env_settings, init_settings)


def _format_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(settings)"
    env_name = ENV_PREFIX + "_".join(str(part) for part in first["loc"][:2]).upper()
    got = first.get("input")
    shown = "" if isinstance(got, Mapping) or got is None else f" (got {got!r})"
    more = f"; and {len(exc.errors()) - 1} more problem(s)" if len(exc.errors()) > 1 else ""
    return f"invalid setting {key} [{env_name} or config file]: {first['msg']}{shown}{more}"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise SettingsError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from exc


def load_settings(config_file: Path | None = None) -> Settings:
    """Build the settings from file + environment; raise :class:`SettingsError` with one clear line.

    Only the CLI entry point calls this; everything below it receives the returned object.
    """
    if config_file is None and os.environ.get(CONFIG_ENV):
        config_file = Path(os.environ[CONFIG_ENV])
    file_values = _read_toml(config_file) if config_file is not None else {}
    try:
        settings = Settings(**file_values)
    except ValidationError as exc:
        raise SettingsError(_format_error(exc)) from None
    model_override = os.environ.get(MODEL_PATH_ENV)
    if model_override:
        settings = settings.model_copy(
            update={"asr": settings.asr.model_copy(update={"model_path": Path(model_override)})}
        )
    if settings.rtp.port_min > settings.rtp.port_max:
        raise SettingsError(
            f"invalid setting rtp.port_min: {settings.rtp.port_min} is above rtp.port_max {settings.rtp.port_max}"
        )
    return settings
