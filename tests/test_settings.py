"""Settings: defaults for an embedded install, TOML file, CALLSCREEN_* env, VOSK_MODEL_PATH, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from callscreen.settings import SettingsError, SipMode, load_settings
from screening.config import ScreenMode


def test_defaults_are_an_embedded_single_node_install() -> None:
    s = load_settings()
    assert s.database.url == "sqlite:///var/callscreen.db"
    assert (s.sip.bind_host, s.sip.port, s.sip.mode) == ("127.0.0.1", 5060, SipMode.TRUNK)
    assert (s.api.host, s.api.port) == ("127.0.0.1", 8080)
    assert s.asr.model_path is None
    assert s.asr.resolved_model_path == Path("var/models/vosk-model-small-cn-0.22")
    assert s.screening.listen_timeout_s <= 8


def test_toml_file_then_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "callscreen.toml"
    cfg.write_text('[sip]\nport = 5070\nagents_uri = "sip:queue@10.0.0.5"\n[screening]\nmode = "night_noon"\n')
    s = load_settings(cfg)
    assert (s.sip.port, s.sip.agents_uri, s.screening.mode) == (5070, "sip:queue@10.0.0.5", ScreenMode.NIGHT_NOON)
    monkeypatch.setenv("CALLSCREEN_SIP_PORT", "5080")
    monkeypatch.setenv("CALLSCREEN_CONFIG", str(cfg))
    s = load_settings()
    assert s.sip.port == 5080  # env beats file
    assert s.sip.agents_uri == "sip:queue@10.0.0.5"  # file still applies


def test_screening_section_is_the_judgements_own_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """No mirror: what the engine receives is the settings section itself, deterrent included."""
    from screening.config import ScreeningConfig
    from telephony.vocabulary import Deterrent

    monkeypatch.setenv("CALLSCREEN_SCREENING_MIN_LISTEN_S", "2.5")
    monkeypatch.setenv("CALLSCREEN_SCREENING_BLOCKED_POLICY", "line_fault")
    s = load_settings()
    assert isinstance(s.screening, ScreeningConfig)
    assert s.screening.min_listen_s == 2.5 and s.screening.blocked_policy is Deterrent.LINE_FAULT


def test_vosk_model_path_always_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLSCREEN_ASR_MODEL_PATH", "/somewhere/else")
    monkeypatch.setenv("VOSK_MODEL_PATH", str(tmp_path))
    assert load_settings().asr.resolved_model_path == tmp_path


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("CALLSCREEN_API_KEY_CACHE_TTL_S", "120", "api.key_cache_ttl_s"),
        ("CALLSCREEN_API_KEY_CACHE_TTL_S", "-1", "api.key_cache_ttl_s"),
        ("CALLSCREEN_SIP_PORT", "abc", "sip.port"),
        ("CALLSCREEN_SIP_PORT", "70000", "sip.port"),
        ("CALLSCREEN_SCREENING_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("CALLSCREEN_LOG_LEVEL", "LOUD", "unknown log level"),
        ("CALLSCREEN_SCREENING_MODE", "sometimes", "screening.mode"),
        ("CALLSCREEN_RTP_JITTER_FRAMES", "24", "power of two"),
        ("CALLSCREEN_SCREENING_NIGHT", "25:00-06:00", "screening.night"),
        ("CALLSCREEN_SCREENING_SUSPECT_THRESHOLD", "0.9", "suspect_threshold is above harassment_threshold"),
        ("CALLSCREEN_SCREENING_BLOCKED_POLICY", "shout", "screening.blocked_policy"),
        ("CALLSCREEN_SCREENING_CONFIRMATION_WINDOW_DAYS", "0", "screening.confirmation_window_days"),
        ("CALLSCREEN_SIP_BIND_HOST6", "::", "not '::'"),  # written into IPv6 calls' Contact and SDP
        ("CALLSCREEN_SIP_BIND_HOST6", "127.0.0.1", "must be an IPv6 address"),
        ("CALLSCREEN_ASR_RETIRE_AFTER_S", "-1", "asr.retire_after_s"),
        ("CALLSCREEN_ASR_RETIRE_AFTER_S", "30", "0 (never) or at least 60 s"),  # warm-ups would eat the reuse
        ("CALLSCREEN_ASR_RETIRE_AFTER_S", "100000", "asr.retire_after_s"),
        ("CALLSCREEN_ASR_RETIRE_AFTER_S", "ten minutes", "asr.retire_after_s"),
    ],
)
def test_bad_setting_names_key_and_problem(monkeypatch: pytest.MonkeyPatch, key: str, value: str, needle: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert needle in message
    assert "\n" not in message


def test_unknown_key_in_file_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[sip]\nprot = 5070\n")
    with pytest.raises(SettingsError, match=r"sip\.prot"):
        load_settings(cfg)


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[sip\nport=")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(bad)
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_bad_setting_on_the_command_line_is_one_line_not_a_traceback(tmp_cwd: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "CALLSCREEN_SIP_PORT": "abc"}
    result = subprocess.run(
        [sys.executable, "-m", "callscreen", "doctor"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "invalid setting sip.port" in lines[0]
    assert "CALLSCREEN_SIP_PORT" in lines[0]
    assert "'abc'" in lines[0]


def test_the_default_sqlite_file_lives_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CALLSCREEN_DATA_DIR moves the database too (deploy/README: `CALLSCREEN_DATA_DIR=… callscreen keys create`)."""
    monkeypatch.setenv("CALLSCREEN_DATA_DIR", str(tmp_path / "lib"))
    monkeypatch.delenv("CALLSCREEN_DATABASE_URL", raising=False)
    assert load_settings().database.url == f"sqlite:///{tmp_path / 'lib' / 'callscreen.db'}"
    monkeypatch.setenv("CALLSCREEN_DATABASE_URL", "sqlite:///elsewhere.db")
    assert load_settings().database.url == "sqlite:///elsewhere.db"  # an explicit URL still wins


def test_a_cli_command_and_serve_agree_on_the_database(tmp_path: Path) -> None:
    import os

    data_dir = tmp_path / "lib"
    data_dir.mkdir()
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCREEN_")}
    env["CALLSCREEN_DATA_DIR"] = str(data_dir)
    done = subprocess.run([sys.executable, "-m", "callscreen", "keys", "create", "--role", "admin", "--label", "ops"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (data_dir / "callscreen.db").is_file()
    assert not list(elsewhere.rglob("*.db"))


def test_the_recogniser_pool_is_bounded_by_default_and_can_be_unbounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """``asr.retire_after_s``: on by default (memory must not grow with uptime), 0 turns it off, 60 s is allowed."""
    from asr.engine import NEVER

    assert load_settings().asr.retire_after_s == 600
    for value, expected in (("0", NEVER), ("60", 60.0), ("3600", 3600.0)):
        monkeypatch.setenv("CALLSCREEN_ASR_RETIRE_AFTER_S", value)
        assert load_settings().asr.retire_after_s == expected
