"""Caller-number parsing shared by the SIP identity layer, the judgement and the records.

A small package of its own so that ``telephony`` (which reads numbers out of SIP headers) and ``screening``
(which judges them) both depend on it without depending on each other. It knows no SIP, no database and no
verdicts: only what a Chinese phone number looks like, how to normalise it to E.164, mask it for logs and hash it
for records.
"""

from numbering.numbers import (
    ANONYMOUS_WORDS,
    CHINA_CC,
    CallerNumber,
    NumberKind,
    caller_hash,
    mask,
    normalize,
)

__all__ = ["ANONYMOUS_WORDS", "CHINA_CC", "CallerNumber", "NumberKind", "caller_hash", "mask", "normalize"]
