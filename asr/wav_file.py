"""Reading a RIFF/WAVE file into float samples, whatever its encoding — without the stdlib ``wave`` module.

Why not ``wave``: on Python 3.11 it refuses WAVE_FORMAT_EXTENSIBLE (what most 24-bit and multichannel writers
produce), float WAVs and G.711 WAVs (what call recorders produce). Here every chunk is parsed by hand, each
problem becomes an :class:`AudioFormatError` that names the file and the field, and a data chunk cut short by a
crashed recorder is used up to its last whole frame (logged) rather than refused. Resampling is not here:
see :mod:`asr.audio`.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from asr.errors import AudioFormatError

log = logging.getLogger(__name__)

FORMAT_PCM = 0x0001
FORMAT_FLOAT = 0x0003
FORMAT_ALAW = 0x0006
FORMAT_MULAW = 0x0007
FORMAT_EXTENSIBLE = 0xFFFE
MAX_CHANNELS = 32
MAX_RATE = 768_000
MIN_RATE = 1000
STREAMING_SIZES = (0, 0xFFFFFFFF)  # data sizes written by recorders that never went back to fix the header

Samples = npt.NDArray[np.float32]  # shape (frames, channels), values in [-1, 1]


@dataclass(frozen=True, slots=True)
class WavAudio:
    rate: int
    channels: int
    bits: int
    encoding: str  # "pcm", "float", "alaw", "mulaw"
    samples: Samples


@dataclass(frozen=True, slots=True)
class _Format:
    code: int
    channels: int
    rate: int
    block_align: int
    bits: int


def _alaw_table() -> npt.NDArray[np.float32]:
    """ITU-T G.711 A-law expansion for all 256 codes (the inverse of the encoder's segment search)."""
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (codes & 0x70) >> 4
    mant = codes & 0x0F
    mag = np.where(seg == 0, (mant << 4) + 8, ((mant << 4) + 0x108) << np.maximum(seg - 1, 0))
    return (np.where(codes & 0x80, mag, -mag) / 32768.0).astype(np.float32)


def _mulaw_table() -> npt.NDArray[np.float32]:
    """ITU-T G.711 µ-law expansion for all 256 codes."""
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    seg = (codes & 0x70) >> 4
    mag = (((codes & 0x0F) << 3) + 0x84) << seg
    return (np.where(codes & 0x80, 0x84 - mag, mag - 0x84) / 32768.0).astype(np.float32)


def _parse_fmt(body: bytes, name: str) -> _Format:
    if len(body) < 16:
        raise AudioFormatError(f"{name}: 'fmt ' chunk is {len(body)} bytes, needs at least 16")
    code, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", body)
    if code == FORMAT_EXTENSIBLE:
        if len(body) < 40:
            raise AudioFormatError(f"{name}: WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is truncated")
        code = struct.unpack_from("<H", body, 24)[0]  # first two bytes of the sub-format GUID
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioFormatError(f"{name}: {channels} channels is not a usable channel count")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioFormatError(f"{name}: sample rate {rate} Hz is outside {MIN_RATE}–{MAX_RATE} Hz")
    supported = {FORMAT_PCM: (8, 16, 24, 32), FORMAT_FLOAT: (32, 64), FORMAT_ALAW: (8,), FORMAT_MULAW: (8,)}
    if code not in supported:
        raise AudioFormatError(
            f"{name}: WAV encoding 0x{code:04x} is not supported (PCM, IEEE float, A-law and µ-law are)"
        )
    if bits not in supported[code]:
        raise AudioFormatError(f"{name}: {bits}-bit samples are not supported for WAV encoding 0x{code:04x}")
    if block_align != channels * bits // 8:
        raise AudioFormatError(
            f"{name}: block align {block_align} does not match {channels} channel(s) of {bits}-bit samples"
        )
    return _Format(code=code, channels=channels, rate=rate, block_align=block_align, bits=bits)


def _chunks(raw: bytes, name: str) -> tuple[_Format, bytes]:
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise AudioFormatError(f"{name}: not a WAV file (no RIFF/WAVE header)")
    fmt: _Format | None = None
    pos = 12
    while pos + 8 <= len(raw):
        chunk_id, size = raw[pos : pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
        body_start = pos + 8
        if chunk_id == b"data":
            if fmt is None:
                raise AudioFormatError(f"{name}: 'data' chunk comes before the 'fmt ' chunk")
            available = len(raw) - body_start
            if size in STREAMING_SIZES:
                size = available
            elif size > available:
                log.warning(
                    "%s: data chunk declares %d bytes but only %d are present; using those", name, size, available
                )
                size = available
            return fmt, raw[body_start : body_start + size]
        if chunk_id == b"fmt ":
            if body_start + size > len(raw):
                raise AudioFormatError(f"{name}: 'fmt ' chunk is cut short")
            fmt = _parse_fmt(raw[body_start : body_start + size], name)
        pos = body_start + size + (size & 1)  # chunks are word-aligned
    if fmt is None:
        raise AudioFormatError(f"{name}: no 'fmt ' chunk (file truncated or not audio)")
    raise AudioFormatError(f"{name}: no 'data' chunk (file truncated or holds no audio)")


def _decode(fmt: _Format, data: bytes) -> Samples:
    usable = len(data) - len(data) % fmt.block_align
    data = data[:usable]
    if fmt.code == FORMAT_FLOAT:
        flat = np.frombuffer(data, dtype="<f4" if fmt.bits == 32 else "<f8").astype(np.float32)
        flat = np.nan_to_num(np.clip(flat, -1.0, 1.0), nan=0.0)
    elif fmt.code in (FORMAT_ALAW, FORMAT_MULAW):
        table = _alaw_table() if fmt.code == FORMAT_ALAW else _mulaw_table()
        flat = table[np.frombuffer(data, dtype=np.uint8)]
    elif fmt.bits == 8:  # 8-bit PCM WAV is unsigned, centred on 128
        flat = (np.frombuffer(data, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif fmt.bits == 24:
        b = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] << 8 | b[:, 1] << 16 | b[:, 2] << 24) >> 8  # sign-extend via the top byte
        flat = (ints / 8388608.0).astype(np.float32)
    else:
        dtype, scale = ("<i2", 32768.0) if fmt.bits == 16 else ("<i4", 2147483648.0)
        flat = (np.frombuffer(data, dtype=dtype) / scale).astype(np.float32)
    return flat.reshape(-1, fmt.channels)


def read_wav(path: Path) -> WavAudio:
    """Read ``path`` into float32 samples shaped (frames, channels); raise :class:`AudioFormatError` otherwise."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AudioFormatError(f"cannot read WAV file {path}: {exc.strerror or exc}") from exc
    fmt, data = _chunks(raw, str(path))
    encoding = {FORMAT_PCM: "pcm", FORMAT_FLOAT: "float", FORMAT_ALAW: "alaw", FORMAT_MULAW: "mulaw"}[fmt.code]
    return WavAudio(rate=fmt.rate, channels=fmt.channels, bits=fmt.bits, encoding=encoding, samples=_decode(fmt, data))
