"""G.711 μ-law (PCMU) and A-law (PCMA) with numpy lookup tables.

Why not ``audioop``: it is removed from the standard library in Python 3.13, and pyVoIP's use of it decoded to 8-bit
(losing most of G.711's range) and encoded PCMA with the μ-law encoder. The tables here reproduce CPython's
``audioop`` (Sun's reference g711.c) bit for bit — the tests compare all 256 codes and all 65536 inputs.
Decoding is lossless: every G.711 code maps to one 16-bit value, and encoding that value gives the code back.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

_ALL_INT16 = np.arange(-32768, 32768, dtype=np.int32)
_CODES = np.arange(256, dtype=np.int32)
_QUANT_MASK = 0x0F
_SEG_SHIFT = 4
_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159
_ULAW_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)
_ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF], dtype=np.int32)

Int32Array = npt.NDArray[np.int32]


def _ulaw_encode(linear16: Int32Array) -> Int32Array:
    pcm = linear16 >> 2  # μ-law works on 14 bits
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    seg = np.searchsorted(_ULAW_SEG_END, mag).astype(np.int32)
    code = (seg << _SEG_SHIFT) | ((mag >> np.minimum(seg + 1, 8)) & _QUANT_MASK)
    return np.asarray(np.where(seg >= 8, 0x7F, code) ^ mask, dtype=np.int32)


def _ulaw_decode(codes: Int32Array) -> Int32Array:
    u = ~codes & 0xFF
    t = (((u & _QUANT_MASK) << 3) + _ULAW_BIAS) << ((u & 0x70) >> _SEG_SHIFT)
    return np.where(u & 0x80, _ULAW_BIAS - t, t - _ULAW_BIAS)


def _alaw_encode(linear16: Int32Array) -> Int32Array:
    pcm = linear16 >> 3  # A-law works on 13 bits
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = np.searchsorted(_ALAW_SEG_END, mag).astype(np.int32)
    shift = np.where(seg < 2, 1, np.minimum(seg, 8))
    code = (seg << _SEG_SHIFT) | ((mag >> shift) & _QUANT_MASK)
    return np.asarray(np.where(seg >= 8, 0x7F, code) ^ mask, dtype=np.int32)


def _alaw_decode(codes: Int32Array) -> Int32Array:
    a = codes ^ 0x55
    seg = (a & 0x70) >> _SEG_SHIFT
    t = (a & _QUANT_MASK) << 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t)


class G711Codec:
    """One G.711 law: 16-bit signed little-endian PCM at 8 kHz in, one byte per sample out."""

    name: ClassVar[str]
    payload_type: ClassVar[int]
    _encode_table: ClassVar[npt.NDArray[np.uint8]]
    _decode_table: ClassVar[npt.NDArray[np.int16]]

    @property
    def silence_byte(self) -> int:
        """The code for 0 — what an idle channel sends (0xFF for μ-law, 0xD5 for A-law)."""
        return int(self._encode_table[0])

    def encode(self, pcm16: bytes) -> bytes:
        if len(pcm16) % 2:
            raise ValueError(f"16-bit PCM needs an even number of bytes, got {len(pcm16)}")
        samples = np.frombuffer(pcm16, dtype="<i2").view(np.uint16)
        return self._encode_table[samples].tobytes()

    def decode(self, payload: bytes) -> bytes:
        codes = np.frombuffer(payload, dtype=np.uint8)
        return self._decode_table[codes].astype("<i2").tobytes()


def _tables(enc: Int32Array, dec: Int32Array) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int16]]:
    # Encode table is indexed by the sample's bit pattern as uint16, so 0..32767 first, then -32768..-1.
    by_bits = np.concatenate([enc[32768:], enc[:32768]]).astype(np.uint8)
    return by_bits, dec.astype(np.int16)


class PcmuCodec(G711Codec):
    name = "PCMU"
    payload_type = 0
    _encode_table, _decode_table = _tables(_ulaw_encode(_ALL_INT16), _ulaw_decode(_CODES))


class PcmaCodec(G711Codec):
    name = "PCMA"
    payload_type = 8
    _encode_table, _decode_table = _tables(_alaw_encode(_ALL_INT16), _alaw_decode(_CODES))
