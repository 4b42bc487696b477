"""Loading a Vosk model with its cost measured — for ``doctor`` and benchmarks.

Kept apart from :mod:`asr.model_files` so that checking files never imports vosk.
"""

from __future__ import annotations

import time

from asr.errors import ModelCorruptError
from asr.model import rss_mb


def measure_model_load(path: str) -> tuple[float, float]:
    """Load the model at ``path`` once; return (seconds, resident-memory growth in MB)."""
    import vosk

    vosk.SetLogLevel(-1)
    before = rss_mb()
    started = time.perf_counter()
    try:
        model = vosk.Model(path)
    except Exception as exc:  # Vosk raises a bare Exception("Failed to create a model")
        raise ModelCorruptError(f"Vosk could not load the model at {path}: {exc}") from exc
    seconds = time.perf_counter() - started
    grown = rss_mb() - before
    del model
    return seconds, grown
