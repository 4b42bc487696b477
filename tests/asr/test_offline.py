"""Whole-file transcription with the real Korean Vosk model: stable text, resampled input, silence and noise."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.audio import read_wav_as_telephone_pcm
from asr.cer import cer
from asr.errors import AudioFormatError
from asr.model import SharedModel
from asr.offline import FileTranscript, transcribe_file, transcribe_pcm
from tests.asr.conftest import Clips

pytestmark = pytest.mark.vosk

# Different resamplers (sox in the fixture, soxr in the product) give slightly different 8 kHz samples.
SAME_TEXT_CER = 0.25


@pytest.fixture(scope="module")
def ko_8k_result(clips: Clips, ko_model: SharedModel) -> FileTranscript:
    """The 8 kHz clip decoded once for the module: the reference the other decodes are compared with."""
    return transcribe_file(clips.ko_8k, ko_model.path)


@pytest.fixture(scope="module")
def ko_twice_result(clips: Clips, ko_model: SharedModel) -> FileTranscript:
    """The sentence, a 1 s pause and the sentence again, decoded once for the module with the 600 ms endpoint."""
    return transcribe_file(clips.ko_twice_8k, ko_model.path, endpoint_silence_ms=600)


def test_speech_at_8khz_gives_stable_non_empty_text(
    clips: Clips, ko_model: SharedModel, ko_8k_result: FileTranscript
) -> None:
    first = ko_8k_result
    second = transcribe_file(clips.ko_8k, ko_model.path)
    assert len(first.text) >= 10
    assert second == first  # dither is off (asr.model): the same audio gives the same transcript
    assert first.duration_s == pytest.approx(6.1, abs=0.3)
    assert first.stats.speech_ratio > 0.5


@pytest.mark.parametrize("attr", ["ko_16k", "ko_44k_stereo_24bit"])
def test_higher_rates_converted_down_give_the_same_text(
    clips: Clips, ko_model: SharedModel, ko_8k_result: FileTranscript, attr: str
) -> None:
    reference = ko_8k_result
    converted = transcribe_file(getattr(clips, attr), ko_model.path)
    assert converted.text
    assert cer(converted.text, reference.text) <= SAME_TEXT_CER


def test_finals_carry_word_timings_and_confidences(ko_twice_result: FileTranscript) -> None:
    result = ko_twice_result
    assert len(result.finals) == 2  # the 1 s pause ends the first utterance (600 ms endpoint)
    previous_end = 0.0
    for final in result.finals:
        assert final.words and final.text == " ".join(w.text for w in final.words)
        assert (final.start_s, final.end_s) == (final.words[0].start_s, final.words[-1].end_s)
        assert 0.0 <= final.confidence <= 1.0
        for word in final.words:
            assert previous_end - 0.05 <= word.start_s <= word.end_s <= result.duration_s
            assert 0.0 <= word.confidence <= 1.0
            previous_end = word.end_s
    gap_start = 6.1  # the second sentence starts after the first (6.1 s) and the 1 s pause
    assert result.finals[0].end_s < gap_start < result.finals[1].start_s


def test_endpoint_silence_is_configurable(clips: Clips, ko_model: SharedModel, ko_twice_result: FileTranscript) -> None:
    assert len(ko_twice_result.finals) == 2  # 600 ms: the 1 s pause ends the first utterance
    pcm = read_wav_as_telephone_pcm(clips.ko_twice_8k)
    assert len(transcribe_pcm(pcm, ko_model, endpoint_silence_ms=3000).finals) == 1


@pytest.mark.parametrize("attr", ["silence_8k", "white_noise_8k", "brown_noise_8k"])
def test_silence_and_noise_give_no_text(clips: Clips, ko_model: SharedModel, attr: str) -> None:
    result = transcribe_file(getattr(clips, attr), ko_model.path)
    assert (result.text, result.finals) == ("", ())
    assert result.stats.speech_s == 0.0
    assert result.stats.first_speech_s is None
    assert result.stats.longest_silence_s == result.duration_s == 5.0


def test_bad_audio_is_refused_before_the_model_is_touched(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(AudioFormatError, match=r"bad\.wav"):
        transcribe_file(bad, tmp_path / "no-model-needed")
