"""Exceptions of the RTP media layer.

- ``RtpError`` — base of everything raised by ``telephony.rtp``
  - ``RtpParseError(ValueError)`` — bytes that are not a valid RTP / telephone-event packet
  - ``PortPoolExhaustedError`` — no free even RTP port in the configured range
  - ``UnknownPayloadTypeError(KeyError)`` — no codec is registered for a payload type

The receive path never lets these escape: a bad packet is counted and dropped (STYLE §7).
"""

from __future__ import annotations


class RtpError(Exception):
    """Base class of media-layer errors."""


class RtpParseError(RtpError, ValueError):
    """The bytes are not a packet we accept; the message names the check that failed."""


class PortPoolExhaustedError(RtpError):
    """Every even port in the pool is in use."""


class UnknownPayloadTypeError(RtpError, KeyError):
    """No codec registered for this RTP payload type."""
