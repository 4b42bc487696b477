"""The one Vosk model a process shares between all of its calls.

A Vosk model is hundreds of MB resident and takes seconds to load; a recogniser made from it costs tens of MB.
So the model is checked (:func:`asr.model_files.check_model_dir`), loaded once per resolved path per process, and
every call's recogniser borrows it. Vosk's own failures become :class:`asr.errors.ModelError`; vosk is imported
only in this module.

Dither off: Kaldi adds random dither to the audio before computing features (``--dither``, default 1.0), drawing
from one process-wide generator, so the same audio decoded twice in one process — or by two calls at once — gave
different words (measured: 4 distinct transcripts in 4 decodes of one clip; vosk-api issues #868, #1152). A
verdict must be reproducible from the recording, so the model is loaded through a view of its directory:
symbolic links to every file except ``conf/mfcc.conf``, which is copied with ``--dither=0`` appended (the last
value of a Kaldi option wins). The verified model files are never modified.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr.errors import ModelCorruptError
from asr.model_files import ModelCheck, check_model_dir

log = logging.getLogger(__name__)

MFCC_CONF = "conf/mfcc.conf"
NO_DITHER = "--dither=0.0\n"

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


def undithered_view(root: Path) -> Path:
    """A directory that reads as the model at ``root`` with dither switched off (removed at process exit)."""
    if not (root / MFCC_CONF).is_file():
        return root  # not an MFCC model: nothing to switch off
    view = Path(tempfile.mkdtemp(prefix="callscreen-vosk-"))
    atexit.register(shutil.rmtree, view, ignore_errors=True)
    for entry in root.rglob("*"):
        target = view / entry.relative_to(root)
        if entry.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.relative_to(root).as_posix() == MFCC_CONF:
            conf = entry.read_text(encoding="utf-8")
            target.write_text(conf + ("" if conf.endswith("\n") else "\n") + NO_DITHER, encoding="utf-8")
        else:
            target.symlink_to(entry)
    return view


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
            vosk_model = vosk.Model(str(undithered_view(key)))
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
