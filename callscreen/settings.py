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
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from screening.config import ScreeningConfig
from telephony.vocabulary import Deterrent

ENV_PREFIX = "CALLSCREEN_"
CONFIG_ENV = "CALLSCREEN_CONFIG"
MODEL_PATH_ENV = "VOSK_MODEL_PATH"
DEFAULT_MODEL_NAME = "vosk-model-small-cn-0.22"
MIN_RETIRE_AFTER_S = 60.0  # asr.retire_after_s, when not 0


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
    senior_agents_uri: str | None = None  # angry customers (complaint + anger); unset: the agents
    dialled_header: str | None = None  # header naming the dialled hotline (X-Dialed-Number, Diversion); else R-URI
    max_calls: int = Field(default=200, ge=1, le=10000)
    answer_delay_ms: int = Field(default=200, ge=0, le=10000)  # ringing before answering
    redirect_allowlisted: bool = False  # allowlisted callers: 302 to agents_uri before answering (no REFER)
    transfer_notify_timeout_s: float = Field(default=10.0, gt=0, le=120)  # wait for the REFER's final NOTIFY
    drain_timeout_s: float = Field(default=20.0, ge=0, le=600)  # SIGTERM: in-flight calls finish or go to agents
    # Flood control per source address (peers listed as single addresses are exempt: their traffic is everyone's).
    flood_rate_per_s: float = Field(default=200.0, gt=0)
    flood_burst: float = Field(default=400.0, ge=1)
    flood_ban_s: float = Field(default=60.0, ge=0)
    # Sources that are not peers (not in `peers`; in register mode: not the registrar) — scanners, mostly.
    flood_stranger_rate_per_s: float = Field(default=10.0, gt=0)
    flood_stranger_burst: float = Field(default=30.0, ge=1)
    refusal_log_interval_s: float = Field(default=60.0, gt=0)  # refused requests: one summary line per source
    # Transports (RFC 3261 §18): UDP always; TCP on the same port unless off; TLS when a certificate is given.
    tcp: bool = True
    tcp_idle_timeout_s: float = Field(default=300.0, gt=0)
    tcp_max_per_source: int = Field(default=16, ge=1)
    tls_port: int = Field(default=5061, ge=0, le=65535)  # 0: any free port (tests)
    tls_cert_file: Path | None = None  # PEM server certificate (chain); TLS is off without it
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None  # set: clients must present a certificate this CA signed
    bind_host6: str | None = None  # an IPv6 address to take UDP (and TCP) on as well, e.g. "::1"
    # Transport for requests we start towards a peer with no connection open (address → "udp" or "tcp").
    peer_transports: dict[str, str] = Field(default_factory=dict)

    @field_validator("bind_host6")
    @classmethod
    def _concrete_ipv6(cls, value: str | None) -> str | None:
        """It is written into the Contact and the SDP of IPv6 calls: "::" there would mean "nowhere" (on hold)."""
        if value is None:
            return None
        try:
            address = ipaddress.IPv6Address(value)
        except ValueError:
            raise ValueError(f"must be an IPv6 address, got {value!r}") from None
        if address.is_unspecified:
            raise ValueError("must be this node's IPv6 address (it goes into Contact and SDP), not '::'")
        return value


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


class ProfileSettings(_Section):
    """One hotline's conversation: selected by the dialled number; every unset key falls back to the defaults."""

    numbers: list[str] = Field(default_factory=list)  # dialled numbers (digits compared) that select this profile
    prompts_dir: Path | None = None  # recorded prompts for this hotline (`callscreen prompts import --profile`)
    agents_uri: str | None = None
    senior_agents_uri: str | None = None
    fallback_uri: str | None = None
    lexicon_dir: Path | None = None  # business vocabulary (lexicons, weights) for this hotline
    listen_timeout_s: float | None = Field(default=None, gt=0, le=60)
    suspect_threshold: float | None = Field(default=None, ge=0, le=1)
    harassment_threshold: float | None = Field(default=None, ge=0, le=1)
    blocked_policy: Deterrent | None = None  # deterrent policy for this hotline


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
    # Admission control: streams decoded at once; a call beyond it is screened on caller ID and time only. 6 = what
    # 2 cores decode in real time by CPU cost (bench/asr_bench.py, BENCHMARKS.md "Capacity"); 0 = no limit.
    max_streams: int = Field(default=6, ge=0, le=1000)
    vad_gate: bool = True  # silence and line noise between utterances are not decoded (asr.recognizer)
    # ... and while the open streams trail real time by more than this, new calls are not decoded either (0: off)
    admit_backlog_s: float = Field(default=1.0, ge=0, le=60)
    # A pooled recogniser is freed and replaced (off the call path) once it has decoded this much audio: its lazily
    # expanded graph cache grows with every new word it meets, so without a bound the node's memory grows for as
    # long as callers say new things (BENCHMARKS.md "Bounded recogniser pool"). 0 = never (unbounded memory).
    # At least 60 s: a fresh recogniser's warm-up (~0.6 CPU-s of silence, then costlier first calls) must be
    # spread over many calls.
    retire_after_s: float = Field(default=600.0, ge=0, le=86_400)

    @field_validator("retire_after_s")
    @classmethod
    def _retire_after_s_is_off_or_long_enough(cls, value: float) -> float:
        if 0 < value < MIN_RETIRE_AFTER_S:
            raise ValueError(
                f"asr.retire_after_s must be 0 (never) or at least {MIN_RETIRE_AFTER_S:g} s of audio: a fresh "
                f"recogniser's warm-up costs 1.5–1.9 CPU-s, retiring sooner gives back the CPU the pool saves"
            )
        return value

    @property
    def resolved_model_path(self) -> Path:
        """The model directory actually used: explicit path if given, else the fetched default."""
        return self.model_path if self.model_path is not None else self.model_dir / self.model_name


class ScreeningSettings(ScreeningConfig):
    """The judgement's own configuration model, plus what the call flow does with a confirmed harasser."""

    blocked_policy: Deterrent = Deterrent.ANALYSIS


class DatabaseSettings(_Section):
    url: str = ""  # empty: SQLite at <data_dir>/callscreen.db (filled in by Settings, so every command agrees)
    echo: bool = False
    list_poll_s: float = Field(default=1.0, gt=0, le=60)  # how often each node checks for list changes
    # PostgreSQL: /lookup's one query is awaited on the API's event loop over connections of its own
    # (records.asyncpool): at most this many per node (beside the engine's pool), each answer within this time.
    async_connections: int = Field(default=4, ge=1, le=64)
    async_timeout_s: float = Field(default=2.0, gt=0, le=30)
    spool_dir: Path | None = None  # where unwritten call records wait; defaults to <data_dir>/spool
    # Automatic block entries: the graduated response is [ladder]; an agent's confirmation proposes a block too …
    auto_block_window_days: int = Field(default=30, ge=1, le=3650)  # offences counted within this window
    auto_activate_at: int | None = Field(default=None, ge=1, le=1000)  # … activated without review at this count
    auto_block_expires_days: int | None = Field(default=180, ge=1, le=3650)  # agent-confirmed proposals expire


class ConversationSettings(_Section):
    """The conversation with an unsure caller (telephony.listening.challenge)."""

    challenge_answer_s: float = Field(default=5.0, ge=0, le=30)  # after the question, time to answer; 0: no question


class LadderStepSettings(_Section):
    notice: bool = False  # the recorded-call notice before the analysis queue
    block_days: int | None = Field(default=None, ge=1, le=3650)  # propose a block expiring after this
    carrier_report: bool = False  # list the number in the report for the carrier


def _default_ladder() -> list[LadderStepSettings]:
    return [LadderStepSettings(notice=True), LadderStepSettings(block_days=7),
            LadderStepSettings(block_days=90, carrier_report=True)]


class LadderSettings(_Section):
    """The graduated response per source: the n-th harassment offence within the window takes step n."""

    steps: list[LadderStepSettings] = Field(default_factory=_default_ladder, min_length=1, max_length=20)
    auto_approve: bool = False  # ladder blocks active at once instead of proposed to a manager


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    enabled: bool = True
    # HTTPS served directly: PEM certificate (chain) and key; plain HTTP without them (e.g. behind a proxy).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Proxies whose X-Forwarded-Proto/-For are believed (a proxy terminating TLS makes the session cookie Secure).
    proxy_ips: list[str] = Field(default_factory=lambda: ["127.0.0.1"])
    # A verified API key is trusted this long without the database: bounds how long a key revoked on another node
    # or with `callscreen keys revoke` still works here (revoked through this node's API: refused at once). 0: off.
    key_cache_ttl_s: float = Field(default=5.0, ge=0, le=30)

    @model_validator(mode="after")
    def _tls_pair(self) -> ApiSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("api.tls_cert and api.tls_key go together: set both (HTTPS) or neither (HTTP)")
        for path in (self.tls_cert, self.tls_key):
            if path is not None and not path.is_file():
                raise ValueError(f"api TLS file {path} does not exist")
        return self


class CostSettings(_Section):
    """Toll-free tariffs for the cost report (records.costs): per dialled hotline, per started minute."""

    tariffs: dict[str, float] = Field(default_factory=dict)  # hotline → price per minute, e.g. {"4008001234": 0.12}
    default_tariff: float = Field(default=0.0, ge=0)  # hotlines not listed (and calls without one)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")

    @field_validator("tariffs")
    @classmethod
    def _non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [hotline for hotline, rate in value.items() if rate < 0]
        if bad:
            raise ValueError(f"negative tariff for {', '.join(bad)}")
        return value


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
    # Added to the system clock for call times (arrival, end, list validity): drills and tests run the night shift
    # in daytime. Not negative: records written by the admin API use the system clock and must not lie ahead.
    clock_offset_s: float = Field(default=0.0, ge=0, le=366 * 86400)
    sip: SipSettings = Field(default_factory=SipSettings)
    rtp: RtpSettings = Field(default_factory=RtpSettings)
    prompts: PromptSettings = Field(default_factory=PromptSettings)
    asr: AsrSettings = Field(default_factory=AsrSettings)
    screening: ScreeningSettings = Field(default_factory=ScreeningSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    ladder: LadderSettings = Field(default_factory=LadderSettings)
    conversation: ConversationSettings = Field(default_factory=ConversationSettings)
    profiles: dict[str, ProfileSettings] = Field(default_factory=dict)  # per-hotline profiles, by name
    api: ApiSettings = Field(default_factory=ApiSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    costs: CostSettings = Field(default_factory=CostSettings)

    @model_validator(mode="after")
    def _database_in_data_dir(self) -> Settings:
        """The default SQLite file lives in ``data_dir``, not in whatever directory a command was started from:
        ``CALLSCREEN_DATA_DIR=/var/lib/callscreen callscreen keys create`` must write the database ``serve`` reads."""
        if not self.database.url:
            url = f"sqlite:///{self.data_dir / 'callscreen.db'}"
            object.__setattr__(self, "database", self.database.model_copy(update={"url": url}))
        return self

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
