"""Audio codecs by RTP payload type. PCM is 16-bit signed little-endian at 8 kHz everywhere outside this package."""

from __future__ import annotations

from types import MappingProxyType

from telephony.rtp.codecs.g711 import G711Codec, PcmaCodec, PcmuCodec
from telephony.rtp.errors import UnknownPayloadTypeError

CODECS: MappingProxyType[int, G711Codec] = MappingProxyType(
    {codec.payload_type: codec for codec in (PcmuCodec(), PcmaCodec())}
)


def codec_for(payload_type: int) -> G711Codec:
    try:
        return CODECS[payload_type]
    except KeyError:
        raise UnknownPayloadTypeError(f"no codec for RTP payload type {payload_type}") from None


__all__ = ["CODECS", "G711Codec", "PcmaCodec", "PcmuCodec", "codec_for"]
