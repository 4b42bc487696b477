"""Any WAV to 8 kHz mono 16-bit: encodings sox writes, hand-built corrupt files, and what survives resampling."""

from __future__ import annotations

import logging
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from asr.audio import read_wav_as_telephone_pcm
from asr.errors import AudioFormatError
from asr.wav_file import read_wav
from tests.asr.conftest import write_wav16
from tests.conftest import require_tool

TONE_HZ = 440.0


def _tone(rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return 0.5 * np.sin(2 * np.pi * TONE_HZ * t)


def _pcm_array(path: Path) -> np.ndarray:
    return np.frombuffer(read_wav_as_telephone_pcm(path), dtype="<i2").astype(np.float64) / 32768


def _dominant_hz(x: np.ndarray, rate: int = 8000) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


@pytest.fixture(scope="module")
def tone_48k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_wav16(tmp_path_factory.mktemp("tone") / "tone48k.wav", _tone(48000), rate=48000)


@pytest.mark.parametrize(
    ("sox_args", "encoding", "bits", "channels", "rate"),
    [
        (["-b", "8", "-e", "unsigned-integer"], "pcm", 8, 1, 48000),
        (["-b", "16"], "pcm", 16, 1, 48000),
        (["-b", "24", "-c", "2"], "pcm", 24, 2, 48000),  # sox writes WAVE_FORMAT_EXTENSIBLE here
        (["-b", "32", "-e", "signed-integer", "-r", "16000"], "pcm", 32, 1, 16000),
        (["-b", "32", "-e", "floating-point", "-r", "44100"], "float", 32, 1, 44100),
        (["-b", "64", "-e", "floating-point", "-r", "22050"], "float", 64, 1, 22050),
        (["-e", "a-law", "-r", "8000"], "alaw", 8, 1, 8000),
        (["-e", "u-law", "-r", "8000"], "mulaw", 8, 1, 8000),
    ],
)
def test_encodings_convert_to_telephone_pcm(
    tone_48k: Path, tmp_path: Path, sox_args: list[str], encoding: str, bits: int, channels: int, rate: int
) -> None:
    sox = require_tool("sox")
    target = tmp_path / "converted.wav"
    subprocess.run([sox, str(tone_48k), *sox_args, str(target)], check=True, capture_output=True, timeout=30)
    audio = read_wav(target)
    assert (audio.encoding, audio.bits, audio.channels, audio.rate) == (encoding, bits, channels, rate)
    pcm = _pcm_array(target)
    assert len(pcm) == pytest.approx(8000, abs=2)  # one second at 8 kHz
    assert _dominant_hz(pcm) == pytest.approx(TONE_HZ, abs=2)
    rms = float(np.sqrt(np.mean(pcm[400:-400] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.05)  # level kept through decode, mix-down, resampling


def test_8khz_mono_16bit_passes_through_unchanged(tmp_path: Path) -> None:
    samples = _tone(8000)
    path = write_wav16(tmp_path / "tel.wav", samples)
    expected = np.clip(np.rint(samples * 32768), -32768, 32767).astype("<i2").tobytes()
    assert read_wav_as_telephone_pcm(path) == expected


def test_stereo_is_mixed_down(tmp_path: Path) -> None:
    left = _tone(8000)
    frames = np.stack([left, np.zeros_like(left)], axis=1)
    path = tmp_path / "stereo.wav"
    data = np.rint(frames * 32767).astype("<i2").tobytes()
    path.write_bytes(_riff(_fmt(1, 2, 8000, 16), _data(data)))
    assert np.max(np.abs(_pcm_array(path))) == pytest.approx(0.25, abs=0.01)


def _fmt(code: int, channels: int, rate: int, bits: int, block_align: int | None = None) -> bytes:
    align = block_align if block_align is not None else channels * bits // 8
    return b"fmt " + struct.pack("<IHHIIHH", 16, code, channels, rate, rate * align, align, bits)


def _riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _data(payload: bytes, declared: int | None = None) -> bytes:
    return b"data" + struct.pack("<I", len(payload) if declared is None else declared) + payload


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no RIFF/WAVE header"),
        (b"ID3\x03\x00" + bytes(200), "no RIFF/WAVE header"),  # an MP3 renamed to .wav
        (b"RIFF\x10\x00\x00\x00WAVE", "no 'fmt ' chunk"),
        (_riff(_fmt(1, 1, 8000, 16)), "no 'data' chunk"),
        (_riff(_data(b"\x00\x00" * 10), _fmt(1, 1, 8000, 16)), "'data' chunk comes before the 'fmt ' chunk"),
        (_riff(_fmt(2, 1, 8000, 4), _data(bytes(100))), "WAV encoding 0x0002 is not supported"),  # MS ADPCM
        (_riff(_fmt(1, 1, 8000, 12), _data(bytes(100))), "12-bit samples are not supported"),
        (_riff(_fmt(1, 0, 8000, 16), _data(bytes(100))), "0 channels"),
        (_riff(_fmt(1, 1, 0, 16), _data(bytes(100))), "sample rate 0 Hz"),
        (_riff(_fmt(1, 2, 8000, 16, block_align=2), _data(bytes(100))), "block align 2 does not match"),
        (_riff(b"fmt " + struct.pack("<I", 16) + b"\x01\x00"), "'fmt ' chunk is cut short"),
    ],
)
def test_corrupt_or_unsupported_files_raise_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFormatError, match=message) as excinfo:
        read_wav_as_telephone_pcm(path)
    assert str(path) in str(excinfo.value)


def test_missing_file_is_an_audio_format_error(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match=r"cannot read WAV file .*missing\.wav"):
        read_wav_as_telephone_pcm(tmp_path / "missing.wav")


def test_truncated_data_is_used_up_to_the_last_whole_frame(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cut.wav"
    path.write_bytes(_riff(_fmt(1, 1, 8000, 16), _data(b"\x01\x00" * 100 + b"\x01", declared=16000)))
    with caplog.at_level(logging.WARNING, logger="asr.wav_file"):
        pcm = read_wav_as_telephone_pcm(path)
    assert len(pcm) == 200
    assert "declares 16000 bytes" in caplog.text


def test_streaming_header_size_means_to_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "streamed.wav"
    path.write_bytes(_riff(_fmt(1, 1, 8000, 16), _data(b"\x02\x00" * 80, declared=0xFFFFFFFF)))
    assert len(read_wav_as_telephone_pcm(path)) == 160


def test_unknown_chunks_are_skipped_with_padding(tmp_path: Path) -> None:
    odd_chunk = b"LIST" + struct.pack("<I", 3) + b"abc" + b"\x00"  # odd size: one pad byte follows
    path = tmp_path / "list.wav"
    path.write_bytes(_riff(_fmt(1, 1, 8000, 16), odd_chunk, _data(b"\x03\x00" * 8)))
    assert read_wav_as_telephone_pcm(path) == b"\x03\x00" * 8


def test_empty_data_gives_no_audio(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(_riff(_fmt(1, 1, 16000, 16), _data(b"")))
    assert read_wav_as_telephone_pcm(path) == b""
