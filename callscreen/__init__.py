"""callscreen: the application shell — settings, logging, the ``callscreen`` command and the composition root.

Layering: ``callscreen`` → ``telephony`` → (``asr``, ``screening``). ``asr`` and ``screening`` know nothing of SIP.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("callscreen")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
