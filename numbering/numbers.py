"""Caller numbers: normalisation, classification, masking and hashing.

Every layer that touches a caller number goes through here, so that "the same caller" means the same string in
the blocklist, the call history and the reports, and so that masking is done one way everywhere.

Normal form is E.164 with a leading ``+`` (``+8613812345678``, ``+861012345678``, ``+864001234567``).
Short codes (``110``, ``10086``, ``95588``) have no E.164 form and keep their digits. Anonymous/withheld callers
and unparseable input normalise to ``None`` with a kind that says which. What is *not* here: reading SIP headers
(``telephony.sip.identity``) and deciding whether a number is suspicious (the caller-ID signals).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from dataclasses import dataclass

CHINA_CC = "86"
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
TOLL_FREE_RE = re.compile(r"(400|800)\d{7}")
# Area codes: 010 and 02x are two digits after the trunk 0, the rest three (0311, 0755 ...).
FIXED_RE = re.compile(r"0(10|2\d|[3-9]\d{2})(\d{7,8})")
SHORT_CODE_RE = re.compile(r"1\d{2}|1\d{4}|9\d{4}|12\d{3}|96\d{3,4}")
ANONYMOUS_WORDS = frozenset(
    {"anonymous", "withheld", "restricted", "private", "unavailable", "unknown", "hidden", "anonymous.invalid"}
)
_STRIP_RE = re.compile(r"[\s\-().\u00a0/]")
MAX_INPUT_LEN = 64


class NumberKind(enum.StrEnum):
    MOBILE = "mobile"
    FIXED = "fixed"
    TOLL_FREE = "toll_free"  # 400 / 800 service numbers
    SHORT_CODE = "short_code"
    INTERNATIONAL = "international"
    ANONYMOUS = "anonymous"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class CallerNumber:
    """A normalised caller number. ``normalized`` is ``None`` for anonymous and invalid input."""

    raw: str
    normalized: str | None
    kind: NumberKind
    area_code: str | None = None  # fixed lines only, without the trunk 0 ("10", "755")

    @property
    def is_anonymous(self) -> bool:
        return self.kind is NumberKind.ANONYMOUS

    @property
    def national(self) -> str | None:
        """The number as dialled inside China (trunk 0 for fixed lines), or the E.164 form abroad."""
        if self.normalized is None:
            return None
        if self.normalized.startswith("+" + CHINA_CC):
            rest = self.normalized[1 + len(CHINA_CC) :]
            return "0" + rest if self.kind is NumberKind.FIXED else rest
        return self.normalized


def _national_digits(digits: str) -> str | None:
    """Strip a Chinese country prefix (+86, 0086, 86 before a full-length number); None if foreign."""
    if digits.startswith("+"):
        if not digits.startswith("+" + CHINA_CC):
            return None
        return digits[1 + len(CHINA_CC) :]
    if digits.startswith("00"):
        if not digits.startswith("00" + CHINA_CC):
            return None
        return digits[2 + len(CHINA_CC) :]
    if digits.startswith(CHINA_CC) and len(digits) >= 12:
        return digits[len(CHINA_CC) :]
    return digits


def normalize(raw: str | None) -> CallerNumber:
    """Classify and normalise a caller number as it arrives from signalling, a CSV file or the API."""
    text = (raw or "").strip()
    if not text or text.lower() in ANONYMOUS_WORDS:
        return CallerNumber(raw=text, normalized=None, kind=NumberKind.ANONYMOUS)
    if len(text) > MAX_INPUT_LEN:
        return CallerNumber(raw=text[:MAX_INPUT_LEN], normalized=None, kind=NumberKind.INVALID)
    digits = _STRIP_RE.sub("", text)
    if not re.fullmatch(r"\+?\d{3,20}", digits):
        return CallerNumber(raw=text, normalized=None, kind=NumberKind.INVALID)
    national = _national_digits(digits)
    if national is None:
        return CallerNumber(raw=text, normalized=digits, kind=NumberKind.INTERNATIONAL)
    had_prefix = national != digits
    if had_prefix and not national.startswith("0") and FIXED_RE.fullmatch("0" + national):
        national = "0" + national  # +86 10 1234 5678: E.164 drops the trunk 0
    if MOBILE_RE.fullmatch(national):
        return CallerNumber(raw=text, normalized=f"+{CHINA_CC}{national}", kind=NumberKind.MOBILE)
    if TOLL_FREE_RE.fullmatch(national):
        return CallerNumber(raw=text, normalized=f"+{CHINA_CC}{national}", kind=NumberKind.TOLL_FREE)
    fixed = FIXED_RE.fullmatch(national)
    if fixed:
        return CallerNumber(
            raw=text, normalized=f"+{CHINA_CC}{national[1:]}", kind=NumberKind.FIXED, area_code=fixed.group(1)
        )
    if not had_prefix and SHORT_CODE_RE.fullmatch(national):
        return CallerNumber(raw=text, normalized=national, kind=NumberKind.SHORT_CODE)
    return CallerNumber(raw=text, normalized=None, kind=NumberKind.INVALID)


def mask(number: str | None) -> str:
    """Mask a number for logs and the ``agent`` role: ``13812345678`` → ``138****5678``.

    The usual Chinese form (first three, last four) for full numbers; shorter input keeps less, so short codes
    and partial numbers are masked too.
    """
    if not number:
        return "anonymous"
    plus = "+" if number.startswith("+") else ""
    digits = number[len(plus) :]
    if plus and digits.startswith(CHINA_CC) and len(digits) > 9:
        digits = digits[len(CHINA_CC) :]
        plus = "+86 "
    n = len(digits)
    head, tail = (3, 4) if n >= 10 else (2, 2) if n >= 7 else (1, 1) if n >= 3 else (0, 0)
    return f"{plus}{digits[:head]}{'*' * (n - head - tail)}{digits[n - tail :]}"


def caller_hash(normalized: str | None, salt: bytes) -> str | None:
    """Keyed hash of a normalised number, so records can be correlated without showing the number."""
    if normalized is None:
        return None
    return hmac.new(salt, normalized.encode(), hashlib.sha256).hexdigest()[:32]
