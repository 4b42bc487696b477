"""Mandarin recognition with a real Mandarin model (VOSK_MODEL_PATH); skipped with the reason when there is none.

No Mandarin model can be downloaded on the development machines, so these have not run there. Thresholds are
for espeak-ng's synthetic Mandarin voice at 8 kHz, which is harder than natural speech for a model trained on
people: key business words must come back, and CER must stay under ``MAX_CER`` (the small model's published CER
on natural speech is 24–38%).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.cer import cer
from asr.offline import transcribe_file
from tests.asr.conftest import CMN_SENTENCE, Clips

pytestmark = pytest.mark.mandarin

MAX_CER = 0.5
KEY_WORDS = ("订单", "快递")


def test_mandarin_key_words_and_cer(clips: Clips, mandarin_model_path: Path) -> None:
    result = transcribe_file(clips.cmn_8k, mandarin_model_path)
    assert " " not in result.text  # normalised: no spaces between Chinese words
    found = [w for w in KEY_WORDS if w in result.text]
    assert found, f"none of {KEY_WORDS} in {result.text!r}"
    assert cer(result.text, CMN_SENTENCE.replace("，", "")) <= MAX_CER
