"""G.711 against CPython's audioop (the reference implementation, removed in 3.13) for every input."""

from __future__ import annotations

import sys
import warnings
from types import ModuleType

import numpy as np
import pytest

from telephony.rtp.codecs import CODECS, PcmaCodec, PcmuCodec, codec_for
from telephony.rtp.errors import UnknownPayloadTypeError

ALL_INPUTS = np.arange(-32768, 32768, dtype="<i2").tobytes()
ALL_CODES = bytes(range(256))


def _audioop() -> ModuleType:
    if sys.version_info >= (3, 13):
        pytest.skip("audioop is gone from the standard library in Python 3.13")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    return audioop


def test_pcmu_decode_equals_audioop_for_all_256_codes() -> None:
    assert PcmuCodec().decode(ALL_CODES) == _audioop().ulaw2lin(ALL_CODES, 2)


def test_pcma_decode_equals_audioop_for_all_256_codes() -> None:
    assert PcmaCodec().decode(ALL_CODES) == _audioop().alaw2lin(ALL_CODES, 2)


def test_pcmu_encode_equals_audioop_for_all_65536_inputs() -> None:
    assert PcmuCodec().encode(ALL_INPUTS) == _audioop().lin2ulaw(ALL_INPUTS, 2)


def test_pcma_encode_equals_audioop_for_all_65536_inputs() -> None:
    assert PcmaCodec().encode(ALL_INPUTS) == _audioop().lin2alaw(ALL_INPUTS, 2)


def test_decode_is_lossless_encode_gives_the_code_back() -> None:
    alaw = PcmaCodec()
    assert alaw.encode(alaw.decode(ALL_CODES)) == ALL_CODES
    ulaw = PcmuCodec()
    back = ulaw.encode(ulaw.decode(ALL_CODES))
    # μ-law has two zeros: 0x7F ("negative zero") decodes to 0, which encodes as 0xFF
    assert [i for i in range(256) if back[i] != i] == [0x7F]
    assert back[0x7F] == 0xFF


def test_silence_bytes_are_the_codec_idle_codes() -> None:
    assert PcmuCodec().silence_byte == 0xFF
    assert PcmaCodec().silence_byte == 0xD5
    assert PcmuCodec().encode(bytes(320)) == b"\xff" * 160
    assert PcmaCodec().encode(bytes(320)) == b"\xd5" * 160


def test_decode_keeps_16_bit_range() -> None:
    loudest = np.frombuffer(PcmuCodec().decode(b"\x00\x80"), dtype="<i2")
    assert loudest.tolist() == [-32124, 32124]
    loudest_a = np.frombuffer(PcmaCodec().decode(b"\x2a\xaa"), dtype="<i2")
    assert loudest_a.tolist() == [-32256, 32256]


def test_registry_is_keyed_by_payload_type() -> None:
    assert sorted(CODECS) == [0, 8]
    assert isinstance(codec_for(0), PcmuCodec)
    assert isinstance(codec_for(8), PcmaCodec)
    with pytest.raises(UnknownPayloadTypeError, match="payload type 18"):
        codec_for(18)


def test_odd_length_pcm_is_refused() -> None:
    with pytest.raises(ValueError, match="even number of bytes, got 3"):
        PcmuCodec().encode(b"\x00\x01\x02")
