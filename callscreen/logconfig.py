"""Structured logging: one line per event, plain or JSON, caller numbers masked by default.

Call sites mask numbers themselves (``numbering.mask``); the filter here is the safety net that masks
any run of 7+ digits that still reaches a handler, so a forgotten call site cannot leak a number at INFO.
Transcripts are logged only at DEBUG by the modules that have them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from numbering import mask

_NUMBER_RE = re.compile(r"(?<![\w.])\+?\d[\d\- ]{5,}\d(?![\w.])")
_STD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def mask_text(text: str) -> str:
    """Replace every number-like run of 7 or more digits with its masked form."""

    def _sub(match: re.Match[str]) -> str:
        digits = re.sub(r"[\- ]", "", match.group(0))
        if sum(ch.isdigit() for ch in digits) < 7:
            return match.group(0)
        return mask(digits)

    return _NUMBER_RE.sub(_sub, text)


class MaskingFilter(logging.Filter):
    """Masks numbers in the rendered message and in extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STD_ATTRS and isinstance(value, str):
                setattr(record, key, mask_text(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                event[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(
    level: str = "INFO", *, json_lines: bool = False, mask_numbers: bool = True, stream: TextIO | None = None
) -> None:
    """Install one handler on the root logger (idempotent: replaces handlers installed earlier)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(PLAIN_FORMAT))
    if mask_numbers:
        handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # pyVoIP and uvicorn are chatty at INFO; our own lines say what matters.
    logging.getLogger("uvicorn.access").setLevel(max(logging.WARNING, root.level))
