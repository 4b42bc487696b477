"""RTP media for callscreen: G.711 both ways, 16-bit PCM to the application, bounded buffers, RFC 4733 DTMF.

Our own implementation instead of pyVoIP's RTP (reasons in ``session.py``). Signalling hands over
:class:`telephony.media.MediaParams`; a :class:`RtpPortPool` supplies the port for the SDP answer first.
"""

from telephony.rtp.errors import PortPoolExhaustedError, RtpError, RtpParseError, UnknownPayloadTypeError
from telephony.rtp.ports import RtpPortPool
from telephony.rtp.session import RtpSession, RtpStats

__all__ = [
    "PortPoolExhaustedError",
    "RtpError",
    "RtpParseError",
    "RtpPortPool",
    "RtpSession",
    "RtpStats",
    "UnknownPayloadTypeError",
]
