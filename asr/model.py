"""The one Vosk model a process shares between all of its calls.

A Vosk model is hundreds of MB resident and takes seconds to load; a recogniser made from it costs a few MB. So
the model is checked (:func:`asr.model_files.check_model_dir`), loaded once per resolved path per process, and
every call's recogniser borrows it. Vosk's own failures become :class:`asr.errors.ModelError`; vosk itself is
imported only here and in :mod:`asr.recognizer`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr.errors import ModelCorruptError
from asr.model_files import ModelCheck, check_model_dir

log = logging.getLogger(__name__)

_cache: dict[Path, SharedModel] = {}
_cache_lock = threading.Lock()


def rss_mb() -> float:
    """Resident memory of this process now (Linux), for load figures and the shared-model test."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True, slots=True, eq=False)
class SharedModel:
    """A loaded model and what loading it cost (``doctor`` and the benchmarks report both)."""

    path: Path
    check: ModelCheck
    load_seconds: float
    rss_growth_mb: float
    vosk_model: Any  # vosk.Model; typed loosely because vosk ships no type information

    def new_recognizer(self, sample_rate: int) -> Any:
        """A fresh ``vosk.KaldiRecognizer`` on this model: words and partial words switched on."""
        import vosk

        try:
            rec = vosk.KaldiRecognizer(self.vosk_model, sample_rate)
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a recognizer")
            raise ModelCorruptError(f"Vosk could not create a recogniser on the model at {self.path}: {exc}") from exc
        rec.SetWords(True)
        rec.SetPartialWords(True)
        return rec


def load_shared_model(path: Path) -> SharedModel:
    """Check and load the model at ``path`` once per process; later calls return the same object.

    Thread-safe: two calls racing on a new path load it once. Raises :class:`asr.errors.ModelError` (with the
    path and how to fix it) when the directory is missing, incomplete, corrupt, or Vosk refuses it.
    """
    key = path.resolve()
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        check = check_model_dir(key)
        import vosk

        vosk.SetLogLevel(-1)  # Kaldi writes to stderr otherwise; failures surface as exceptions below
        before = rss_mb()
        started = time.perf_counter()
        try:
            vosk_model = vosk.Model(str(key))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelCorruptError(f"Vosk could not load the model at {key}: {exc}") from exc
        model = SharedModel(
            path=key,
            check=check,
            load_seconds=time.perf_counter() - started,
            rss_growth_mb=rss_mb() - before,
            vosk_model=vosk_model,
        )
        log.info(
            "loaded Vosk model %s in %.2f s (+%.0f MB resident; %s)",
            key,
            model.load_seconds,
            model.rss_growth_mb,
            check.verified_by,
        )
        _cache[key] = model
        return model
