"""`callscreen eval`, run the way a user runs it, and the development-set acceptance figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callscreen.cli import main
from tests.conftest import DEV_UTTERANCES

DEV = DEV_UTTERANCES
KEYS = {"n", "precision", "recall", "f1", "tp", "fp", "tn", "fn", "suspect", "by_subtype"}


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["eval", *args, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object
    result: dict[str, Any] = json.loads(out)
    return result


def test_small_file_confusion_counts_and_subtypes(tmp_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tsv = tmp_cwd / "calls.tsv"
    tsv.write_text(
        "id\ttext\tlabel\tsubtype\tcaller\tat\n"
        "1\t你个傻逼客服\tharassment\tinsult\t13812345678\t2026-11-23T23:10:00+08:00\n"
        "2\t我想查一下我的订单到哪了\tlegit\tenquiry\t\t\n"
        "3\t这个破快递他妈的一个星期还没到\tlegit\tangry_complaint\tanonymous\t\n"
        "4\t请问我的快递到哪了\tharassment\tinsult\t\t\n",
        encoding="utf-8",
    )
    predictions = tmp_cwd / "pred.tsv"
    result = run_json(capsys, str(tsv), "--predictions", str(predictions))
    assert set(result) == KEYS
    assert (result["n"], result["tp"], result["fp"], result["tn"], result["fn"]) == (4, 1, 0, 2, 1)
    assert result["precision"] == 1.0 and result["recall"] == 0.5 and result["f1"] == pytest.approx(0.6667)
    assert result["by_subtype"] == {
        "angry_complaint": {"n": 1, "harassment": 0},
        "enquiry": {"n": 1, "harassment": 0},
        "insult": {"n": 2, "harassment": 1},
    }
    lines = predictions.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["id", "label", "verdict", "score", "reasons", "text"]
    assert lines[1].split("\t")[2] == "harassment" and "time.night" in lines[1]


def test_human_output_and_no_subtype_column(tmp_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tsv = tmp_cwd / "calls.tsv"
    tsv.write_text("text\tlabel\n你妈死了\tharassment\n", encoding="utf-8")
    assert main(["eval", str(tsv)]) == 0
    out = capsys.readouterr().out
    assert "precision 1.000" in out and "tp 1" in out
    assert run_json(capsys, str(tsv))["by_subtype"] == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text\tverdict\nx\tlegit\n", "missing column(s) label"),
        ("text\tlabel\n你好\tspam\n", ":2: label 'spam' is not 'harassment' or 'legit'"),
        ("text\tlabel\tat\n你好\tlegit\tyesterday\n", ":2: 'at' value 'yesterday' is not ISO 8601"),
        ("text\tlabel\n", "no rows after the header"),
    ],
)
def test_bad_input_is_a_clear_error(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    tsv = tmp_cwd / "bad.tsv"
    tsv.write_text(content, encoding="utf-8")
    assert main(["eval", str(tsv), "--json"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_development_set_meets_the_acceptance_figures(tmp_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, str(DEV))
    assert result["precision"] >= 0.95
    assert result["recall"] >= 0.85
    angry = result["by_subtype"]["angry_complaint"]
    assert angry["harassment"] <= 0.03 * angry["n"]


def test_lexicon_dir_setting_reaches_the_engine(
    tmp_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lexdir = tmp_cwd / "lex"
    lexdir.mkdir()
    (lexdir / "local.txt").write_text("洗脚盆\tinsult\t0.9\n", encoding="utf-8")
    tsv = tmp_cwd / "calls.tsv"
    tsv.write_text("text\tlabel\n你这个洗脚盆\tharassment\n", encoding="utf-8")
    monkeypatch.setenv("CALLSCREEN_SCREENING_LEXICON_DIR", str(lexdir))
    assert run_json(capsys, str(tsv))["tp"] == 1
    (lexdir / "local.txt").write_text("洗脚盆\tinsult\t9\n", encoding="utf-8")
    assert main(["eval", str(tsv)]) == 2
    assert "local.txt:1: weight 9.0 is outside [-1, 1]" in capsys.readouterr().err
