"""Errors raised by the ASR layer. Vosk's own failures are wrapped here so nothing above ``asr`` sees them.

- AsrError
  - ModelError
    - ModelMissingError   no model at the configured path
    - ModelCorruptError   files missing or not matching their checksums
    - ModelFetchError     download, extraction or installation failed
  - AudioFormatError      audio that cannot be converted to 8 kHz mono 16-bit
  - AsrOverloadError      decoding fell behind real time (the call flow fails open)
  - AsrCapacityError      every decoder slot is taken (the call is screened on caller ID and time only)
"""

from __future__ import annotations


class AsrError(Exception):
    """Base of every error the ASR layer raises."""


class ModelError(AsrError):
    pass


class ModelMissingError(ModelError):
    pass


class ModelCorruptError(ModelError):
    pass


class ModelFetchError(ModelError):
    pass


class AudioFormatError(AsrError):
    pass


class AsrOverloadError(AsrError):
    pass


class AsrCapacityError(AsrError):
    """No decoder slot is free (``asr.max_streams``): admission control, raised before any audio is taken."""
