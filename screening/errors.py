"""Errors of the screening core.

- :class:`ScreeningError` — base
  - :class:`LexiconError` — a lexicon or weights file is invalid (names the file, line and problem)
  - :class:`NumberListError` — a number-list entry cannot be compiled (names the entry)
  - :class:`ModelRefusedError` — a learned-model directory was not loaded; the running model stays (the message
    says why)

Errors while screening a live call are not raised to telephony as these types: the call flow fails open.
"""

from __future__ import annotations


class ScreeningError(Exception):
    """Base of the screening core's errors."""


class LexiconError(ScreeningError, ValueError):
    """A lexicon or weights file is invalid; the message names the file, the line and the problem."""


class NumberListError(ScreeningError, ValueError):
    """A number-list entry cannot be compiled; the message names the entry and the problem."""


class ModelRefusedError(ScreeningError):
    """A learned content model was refused (wrong format, checksum, missing file …); the one in use stays."""
