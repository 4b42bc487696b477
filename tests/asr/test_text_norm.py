"""Chinese text normalisation: one spelling per thing, other scripts left alone."""

from __future__ import annotations

import pytest

from asr.cer import cer, char_errors, edit_distance
from asr.text_norm import canonical_transcript, join_texts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("我 想 查 订单", "我想查订单"),  # Vosk's word spaces go between Han characters
        ("  我  想\t查 ", "我想查"),
        ("电话 138 0013", "电话一三八零零一三"),  # digits as the spoken digits the model emits
        ("１３８", "一三八"),  # full-width digits too
        ("你好 , 请问 ?", "你好，请问？"),  # Chinese punctuation in its full-width form
        ("你好，请问？", "你好，请问？"),
        ("ＡＢＣ 我", "ABC 我"),  # full-width Latin to ASCII; the space before Han after Latin stays
        ("안녕 하세요", "안녕 하세요"),  # Hangul words keep their spaces
        ("hello, world", "hello, world"),  # no Han: ASCII punctuation untouched
        ("", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert canonical_transcript(raw) == expected


def test_normalize_is_idempotent() -> None:
    for raw in ("我 想 查 订单 138", "ＡＢＣ　１２３ 我 。", "안녕 하세요"):
        once = canonical_transcript(raw)
        assert canonical_transcript(once) == once


def test_join_texts_joins_utterances_per_script() -> None:
    assert join_texts(["我 想", "", "查 订单"]) == "我想查订单"
    assert join_texts(["안녕", "하세요"]) == "안녕 하세요"


def test_edit_distance_and_cer() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert cer("我 想 查 定单", "我想查订单") == pytest.approx(1 / 5)
    assert char_errors("我想查订单", "我 想 查 订单") == (0, 5)
    assert cer("", "") == 0.0
    assert cer("多余", "") == 1.0
