"""The `callscreen` command: help, version, doctor's verdicts, and honest skeletons."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from callscreen import __version__
from callscreen.cli import build_parser, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == f"callscreen {__version__}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "doctor" in capsys.readouterr().out


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names = set(sub.choices)
    expected = {"serve", "doctor", "version", "model", "transcribe", "screen", "eval", "blocklist", "report", "keys"}
    assert expected <= names
    for name in names:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        assert name in capsys.readouterr().out


def test_doctor_fails_on_an_empty_model_dir_naming_it(
    tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_cwd / "empty-model"
    empty.mkdir()
    monkeypatch.setenv("VOSK_MODEL_PATH", str(empty))
    monkeypatch.setenv("CALLSCREEN_API_PORT", "1")  # nothing listens there: doctor checks ports instead
    assert main(["doctor", "--no-load"]) == 1
    out = capsys.readouterr().out
    model_line = next(line for line in out.splitlines() if line.startswith("model"))
    assert "FAIL" in model_line and str(empty) in model_line


def test_doctor_without_any_model_warns_about_caller_id_mode(
    tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import free_port

    monkeypatch.setenv("CALLSCREEN_SIP_PORT", str(free_port()))
    monkeypatch.setenv("CALLSCREEN_API_PORT", str(free_port()))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "caller-ID/time mode" in out
    assert "service" in out and "not running" in out


def test_doctor_loads_a_real_model(
    korean_model_path: Path, tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import free_port

    monkeypatch.setenv("VOSK_MODEL_PATH", str(korean_model_path))
    monkeypatch.setenv("CALLSCREEN_SIP_PORT", str(free_port()))
    monkeypatch.setenv("CALLSCREEN_API_PORT", str(free_port()))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "model load" in out and "resident memory" in out


def test_doctor_checks_the_learned_content_model(
    tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped model is OK; a configured directory that fails validation is a hard failure naming the file."""
    import shutil

    from screening.learned.model import ContentModel, shipped_dir
    from tests.conftest import free_port

    monkeypatch.setenv("CALLSCREEN_SIP_PORT", str(free_port()))
    monkeypatch.setenv("CALLSCREEN_API_PORT", str(free_port()))
    assert main(["doctor", "--no-load"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("content model"))
    assert "ok" in row and ContentModel.shipped().model_id in row and "the shipped model" in row

    broken = tmp_cwd / "centre-model"
    shutil.copytree(shipped_dir(), broken)
    (broken / "weights.npz").write_bytes(b"truncated")
    monkeypatch.setenv("CALLSCREEN_SCREENING_MODEL_DIR", str(broken))
    assert main(["doctor", "--no-load"]) == 1
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("content model"))
    assert "FAIL" in row and "weights.npz: checksum mismatch" in row and "rules only" in row
