"""Per-hotline profiles: the dialled number selects the conversation a caller gets.

One centre often runs several hotlines (a 400 number for sales, an 800 number for complaints) on one callscreen.
A profile (``[profiles.NAME]`` in the settings) names its dialled numbers and overrides, for those calls only,
the prompts directory, the agents / senior-agents / fallback addresses, the business vocabulary (lexicon
directory), the listening window, the thresholds and the deterrent. A number no profile claims gets the
defaults (the top-level settings). The dialled number is read by the endpoint (``sip.dialled_header``, else the
Request-URI user, else To) and is stored with every call record as ``hotline`` (normalised, ``+864008001234``),
so lists and reports split by it.

Each profile gets its own :class:`telephony.flow_runner.FlowRunner`; a profile that changes nothing of the
judgement shares the default screening engine (and so the learned-model reload). :class:`HotlineRouter` picks the
runner per call. A reload (SIGHUP) builds a new table and swaps it in one assignment: calls already running keep
the runner (and prompts) they started with, new calls get the new ones — no call is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from asr.events import BYTES_PER_SECOND
from callscreen.settings import ProfileSettings, Settings
from numbering import normalize
from prompts.library import PromptLibrary
from prompts.names import PromptName
from screening.interfaces import Screener
from telephony.call import Call
from telephony.flow_runner import FlowPolicy, FlowRunner
from telephony.listening import ListenLimits

log = logging.getLogger(__name__)
DEFAULT_PROFILE = "default"
MIN_ANSWER_S = 3.0  # after the greeting, the caller has at least this long to say why they call
_SCREENING_KEYS = ("lexicon_dir", "listen_timeout_s", "suspect_threshold", "harassment_threshold")


def number_key(number: str | None) -> str | None:
    """How dialled numbers are compared: normalised like caller numbers (``+86 400-800-1234`` = ``4008001234``),
    so a profile may list a hotline in any of the forms a carrier or PBX writes it."""
    if not number:
        return None
    return normalize(number).normalized


def load_prompts(settings: Settings, profile: ProfileSettings | None) -> dict[str, bytes]:
    """The prompt set of a profile: its own recordings where present, else the node's override, else packaged."""
    directory = profile.prompts_dir if profile is not None and profile.prompts_dir else settings.prompts.override_dir
    library = PromptLibrary.load(directory)
    return {name.value: library.pcm16(name) for name in PromptName}


def first_window_s(configured_s: float, greeting: bytes, name: str) -> float:
    """The first window, long enough for the greeting *and* an answer: a centre's longer recorded greeting
    stretches it (loudly) rather than leaving the caller no time to speak."""
    needed = len(greeting) / BYTES_PER_SECOND + MIN_ANSWER_S
    if needed > configured_s:
        log.warning("profile %s: the greeting leaves under %.0f s of the %.1f s window; listening %.1f s instead",
                    name, MIN_ANSWER_S, configured_s, needed)
        return needed
    return configured_s


def flow_policy(settings: Settings, profile: ProfileSettings | None, prompts: Mapping[str, bytes] | None = None,
                name: str = DEFAULT_PROFILE) -> FlowPolicy:
    sip, rtp, screening = settings.sip, settings.rtp, settings.screening
    p = profile or ProfileSettings()
    listen_s = p.listen_timeout_s if p.listen_timeout_s is not None else screening.listen_timeout_s
    if prompts is not None:
        listen_s = first_window_s(listen_s, prompts.get(PromptName.GREETING.value, b""), name)
    return FlowPolicy(
        agents_uri=p.agents_uri or sip.agents_uri,
        fallback_uri=p.fallback_uri or sip.fallback_uri,
        senior_agents_uri=p.senior_agents_uri or sip.senior_agents_uri,
        analysis_user=sip.analysis_user,
        deterrent=p.blocked_policy or screening.blocked_policy,
        redirect_before_answer=sip.redirect_allowlisted,
        limits=ListenLimits(listen_s, rtp.media_timeout_s,
                            challenge_answer_s=settings.conversation.challenge_answer_s),
        answer_delay_s=sip.answer_delay_ms / 1000,
    )


def screening_overrides(profile: ProfileSettings) -> dict[str, object]:
    """The judgement's settings this profile changes (empty: it shares the default engine)."""
    return {key: getattr(profile, key) for key in _SCREENING_KEYS if getattr(profile, key) is not None}


@dataclass(frozen=True, slots=True)
class HotlineTable:
    default: FlowRunner
    by_number: Mapping[str, FlowRunner]
    names: Mapping[str, str]  # number key → profile name (logs)


class HotlineRouter:
    """Runs each call with the runner of the profile its dialled number selects."""

    def __init__(self, table: HotlineTable, shutdown: threading.Event) -> None:
        self._table = table
        self.shutdown = shutdown

    @property
    def table(self) -> HotlineTable:
        return self._table

    def runner_for(self, dialled: str | None) -> FlowRunner:
        table = self._table  # one read: a reload swapping the table mid-call cannot mix two tables
        key = number_key(dialled)
        return table.by_number.get(key, table.default) if key is not None else table.default

    def run(self, call: Call) -> None:
        self.runner_for(call.info.dialled).run(call)

    def swap(self, table: HotlineTable) -> None:
        self._table = table
        log.info("profiles reloaded: %d hotline number(s) in %d profile(s)", len(table.by_number),
                 len(set(table.names.values())))


def build_table(
    settings: Settings,
    *,
    make_runner: Callable[[FlowPolicy, dict[str, bytes], Screener | None], FlowRunner],
    make_screener: Callable[[dict[str, object]], Screener],
) -> HotlineTable:
    """Runners for the defaults and every profile. Raises (PromptError, ValueError) before anything is swapped.

    ``make_runner(policy, prompts, screener)`` — ``None`` means the default screening engine."""
    default_profile = settings.profiles.get(DEFAULT_PROFILE)
    default_overrides = screening_overrides(default_profile) if default_profile is not None else {}
    default_prompts = load_prompts(settings, default_profile)
    default = make_runner(flow_policy(settings, default_profile, default_prompts), default_prompts,
                          make_screener(default_overrides) if default_overrides else None)
    by_number: dict[str, FlowRunner] = {}
    names: dict[str, str] = {}
    for name, profile in settings.profiles.items():
        overrides = screening_overrides(profile)
        screener = make_screener(overrides) if overrides else None
        if name == DEFAULT_PROFILE:
            runner = default
        else:
            prompts = load_prompts(settings, profile)
            runner = make_runner(flow_policy(settings, profile, prompts, name), prompts, screener)
        for number in profile.numbers:
            key = number_key(number)
            if key is None:
                raise ValueError(f"profile {name}: {number!r} is not a number")
            if key in names and names[key] != name:
                raise ValueError(f"dialled number {number} is in profiles {names[key]} and {name}")
            by_number[key], names[key] = runner, name
    return HotlineTable(default, by_number, names)
