"""Errors raised by the SIP layer. Nothing above ``telephony`` sees a pyVoIP or socket exception.

- TelephonyError
  - SipParseError        a message that is not valid SIP (carries the 1-based line number)
  - SdpError             an SDP body we cannot answer (no common codec, no audio stream)
  - TransportError       the SIP socket could not be bound or used
  - RegistrationError    the registrar refused or did not answer
  - TransferError        a REFER was refused or its NOTIFY reported failure
"""

from __future__ import annotations


class TelephonyError(Exception):
    """Base of every error raised by ``telephony``."""


class SipParseError(TelephonyError):
    """``partial`` is the request as far as it could be read (headers intact) when only the Request-Line or the
    framing is wrong: enough to answer 400 to the sender instead of dropping the request (RFC 4475 §3.1.2)."""

    def __init__(self, message: str, *, line: int | None = None, partial: object = None) -> None:
        self.line = line
        self.reason = message
        self.partial = partial
        super().__init__(f"{message} (line {line})" if line is not None else message)


class SdpError(TelephonyError):
    pass


class TransportError(TelephonyError):
    pass


class RegistrationError(TelephonyError):
    pass


class TransferError(TelephonyError):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)
