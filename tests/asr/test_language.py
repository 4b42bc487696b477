"""The ASR model's language, read from its vocabulary: the real Korean model is refused loudly, a model whose
words are Chinese passes, and a model with no readable vocabulary is "unknown", never Mandarin."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.language import Language, check_language
from callscreen.cli.doctor import Level, check_model_language
from callscreen.health import Component, ServiceHealth, Status
from callscreen.service import report_asr_language


def _model(tmp_path: Path, words: list[str]) -> Path:
    (tmp_path / "graph").mkdir()
    specials = ["<eps> 0", "!SIL 1", "<unk> 2"]
    lines = specials + [f"{word} {i + 3}" for i, word in enumerate(words)]
    (tmp_path / "graph" / "words.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_the_korean_model_is_not_mandarin_and_says_why(korean_model_path: Path) -> None:
    check = check_language(korean_model_path)
    assert check.language is Language.OTHER
    assert check.source == "graph/Gr.fst"  # the vocabulary embedded in the small model's grammar FST
    assert check.words > 1000 and check.chinese == 0
    message = check.message(korean_model_path)
    assert "not a Mandarin model" in message and "every caller would look off-topic" in message
    assert any("\uac00" <= ch <= "\ud7a3" for ch in "".join(check.examples))  # Hangul shown as the evidence
    row = check_model_language(korean_model_path)
    assert row.level is Level.WARN and "not a Mandarin model" in row.detail


def test_a_model_with_chinese_words_is_mandarin(tmp_path: Path) -> None:
    words = ["AI", "OK", "WIFI"] + [a + b for a in "订单退款快递客服投诉" for b in "查询办理取消发货时间"]
    check = check_language(_model(tmp_path, words))
    assert check.language is Language.MANDARIN
    assert check_model_language(tmp_path).level is Level.OK
    health = ServiceHealth("node1")
    report_asr_language(tmp_path, health)  # what `serve` does after loading the model: no warning
    part = health.snapshot()[Component.LANGUAGE]
    assert part.status is Status.OK and part.detail.startswith("Mandarin model")


@pytest.mark.parametrize(
    "words",
    [
        [a + b for a in "東京大阪京都" for b in "ですますのがをにはへと"],  # Japanese: kanji with kana
        [a + b for a in ("hello", "order", "refund", "agent", "call", "phone", "time") for b in "abcdefghij"],
    ],
)
def test_other_languages_are_not_mandarin(tmp_path: Path, words: list[str]) -> None:
    assert check_language(_model(tmp_path, words)).language is Language.OTHER


def test_no_vocabulary_is_unknown_not_mandarin(tmp_path: Path) -> None:
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph" / "Gr.fst").write_bytes(b"\x00" * 64)  # not an OpenFst file
    check = check_language(tmp_path)
    assert check.language is Language.UNKNOWN and not check.mandarin
    assert "cannot tell the language" in check.message(tmp_path)
    assert check_model_language(tmp_path).level is Level.WARN
