"""The learned content models at screening time: a validated model directory, scored with numpy.

A model directory holds ``manifest.json`` (format, feature configuration, heads, thresholds), ``weights.npz``
(one weight row and one bias per head), ``MODEL_CARD.md`` (sources, licences, row counts, validation figures,
the rebuild command) and ``SHA256SUMS`` over those three. An adapted model may also hold ``centre.npz``: the
*centre head*, fitted on the centre's own rows alone (:func:`screening.learned.train.fit_centre`), which the
manifest lists with its checksum (``manifest["centre"]``) and ``SHA256SUMS`` covers too. :meth:`ContentModel.load`
refuses a directory with a missing file, a checksum that does not match or a format it does not know, naming the
file, so a broken copy never replaces a working model.

Each head is a logistic regression over hashed n-grams (:mod:`screening.learned.features`); its score is
``sigmoid(bias + Σ weight × value)``, and the explanation is exactly those products for the n-grams present —
the words that pushed the score, with their share.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from screening.learned.features import FeatureConfig, hashed
from screening.learned.normalize import learned_normal

FORMAT = "callscreen-learned/2"
HEADS = ("abusive", "harassment", "business", "offtopic")
# Format 1 (three heads, no ``offtopic``) is what centres adapted before the fourth head existed: it still loads and
# screens as it did, so an upgrade never turns a working model directory into a refused one.
FORMATS = {"callscreen-learned/1": HEADS[:3], FORMAT: HEADS}
MANIFEST = "manifest.json"
WEIGHTS = "weights.npz"
CARD = "MODEL_CARD.md"
SUMS = "SHA256SUMS"
CENTRE = "centre.npz"  # the centre head of an adapted model; only when its manifest lists it
REQUIRED = (MANIFEST, WEIGHTS, CARD)
EVIDENCE_TOP = 5
THRESHOLD_NAMES = frozenset({"abusive", "harassment", "business", "no_business", "offtopic"})
# The fusion knobs a model directory may carry (an adapted model's calibration, ``manifest["fusion"]``): only the
# learned models' own, never a rule's — a centre's file recalibrates how far the model it taught is trusted, not
# the rules.
FUSION_KNOBS = frozenset({"learned_abuse", "learned_harassment", "learned_business", "learned_no_business",
                          "learned_no_business_veto", "learned_guard_veto", "learned_centre_up",
                          "learned_centre_down"})  # fmt: skip


class ModelError(Exception):
    """A model directory cannot be used; the message names the directory and the offending file."""


@dataclass(frozen=True, slots=True)
class Contribution:
    ngram: str  # "c:傻逼" (characters) or "p:sha bi" (pinyin syllables)
    weight: float  # this n-gram's share of the logit: weight × feature value (signed)

    def readable(self) -> str:
        """``傻逼 +0.83`` or ``[sha bi] +0.41`` (pinyin in brackets) — for a manager's screen."""
        kind, _, gram = self.ngram.partition(":")
        shown = f"[{gram}]" if kind == "p" else gram
        return f"{shown} {self.weight:+.2f}"


@dataclass(frozen=True, slots=True)
class HeadScore:
    prob: float
    evidence: tuple[Contribution, ...]  # up to EVIDENCE_TOP each way, strongest first by |weight|


@dataclass(frozen=True, slots=True)
class ContentScores:
    abusive: HeadScore
    aimed: HeadScore  # the call-level head: harassment aimed at the listener, pranks, talk with no business
    business: HeadScore
    model_id: str
    chars: int  # length of the normalised text that was scored
    # positive evidence of talk with another purpose (chit-chat, assistant queries, social commentary); low for a
    # greeting, filler or a sentence cut off before its matter — which "no business" alone cannot tell apart.
    # None for a format-1 model.
    offtopic: HeadScore | None = None
    # the centre's own judgement (harassment vs legit, fitted on its rows alone); None without a centre head
    centre: HeadScore | None = None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_sums(directory: Path, names: tuple[str, ...] = REQUIRED) -> None:
    lines = [f"{sha256_of(directory / name)}  {name}" for name in names]
    (directory / SUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _verify(directory: Path) -> dict[str, str]:
    """Every required file present and matching ``SHA256SUMS``; returns the listed checksums (name → digest)."""
    if not directory.is_dir():
        raise ModelError(f"model directory {directory} does not exist")
    sums = directory / SUMS
    if not sums.is_file():
        raise ModelError(f"{sums}: missing (a model directory needs its checksums)")
    listed: dict[str, str] = {}
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.strip().partition("  ")
        if len(digest) != 64 or not name:
            raise ModelError(f"{sums}:{number}: not '<sha256>  <file>'")
        listed[name] = digest
    for name in REQUIRED:
        _verify_file(directory, name, listed)
    return listed


def _verify_file(directory: Path, name: str, listed: dict[str, str]) -> str:
    """The file is there and matches its line in ``SHA256SUMS``; returns its digest."""
    path = directory / name
    if not path.is_file():
        raise ModelError(f"{path}: missing")
    if name not in listed:
        raise ModelError(f"{directory / SUMS}: no checksum for {name}")
    digest = sha256_of(path)
    if digest != listed[name]:
        raise ModelError(f"{path}: checksum mismatch (file changed or corrupt)")
    return digest


@dataclass(frozen=True, slots=True)
class CentreHead:
    """One logistic row over the model's feature space, fitted on a centre's own rows (harassment vs legit)."""

    weights: npt.NDArray[np.float32]  # features (dense; zero where the centre's rows said nothing)
    bias: float
    rows: int  # how many of the centre's rows it was fitted on
    c: float = 1.0  # the regularisation strength its cross-validation chose (liblinear's C), for the card


def _load_centre(directory: Path, manifest: dict[str, Any], listed: dict[str, str], size: int) -> CentreHead | None:
    """The centre head the manifest lists, checked against both checksums; None when it lists none. A listed
    head whose file is missing, changed or malformed refuses the whole directory: a model calibrated to lean
    on it must not run without it."""
    entry = manifest.get("centre")
    if entry is None:
        return None
    path = directory / MANIFEST
    if not isinstance(entry, dict) or entry.get("file") != CENTRE or not isinstance(entry.get("sha256"), str):
        raise ModelError(f"{path}: centre must be {{\"file\": \"{CENTRE}\", \"sha256\": ..., \"rows\": ...}}")
    digest = _verify_file(directory, CENTRE, listed)
    if digest != entry["sha256"]:
        raise ModelError(f"{directory / CENTRE}: checksum does not match the manifest's")
    cpath = directory / CENTRE
    try:
        with np.load(cpath, allow_pickle=False) as data:
            index = np.asarray(data["index"], dtype=np.int64)
            values = np.asarray(data["weights"], dtype=np.float32)
            bias = float(np.asarray(data["bias"], dtype=np.float32).reshape(-1)[0])
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise ModelError(f"{cpath}: unreadable centre head ({exc})") from None
    if index.shape != values.shape or index.ndim != 1 or (index.size and (index.min() < 0 or index.max() >= size)):
        raise ModelError(f"{cpath}: index and weights do not fit a feature space of {size}")
    if not (np.isfinite(values).all() and math.isfinite(bias)):
        raise ModelError(f"{cpath}: weights are not finite")
    dense = np.zeros(size, dtype=np.float32)
    dense[index] = values
    rows, c = _number(entry.get("rows")), _number(entry.get("c"))
    return CentreHead(dense, bias, int(rows) if rows is not None else 0, c if c is not None else 1.0)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _entries(path: Path, manifest: dict[str, Any], key: str, shape: str, names: frozenset[str], what: str
             ) -> Iterator[tuple[str, object, float | None]]:  # fmt: skip
    """(name, value, the value as a finite number or None) of one manifest object, refusing names nothing reads."""
    section = manifest.get(key, {})
    if not isinstance(section, dict):
        raise ModelError(f"{path}: {key} must be an object of {shape}")
    for name, value in section.items():
        if name not in names:
            raise ModelError(f"{path}: {what} {name!r} is not one of {sorted(names)}")
        yield name, value, _number(value)


def _check_calibration(path: Path, manifest: dict[str, Any]) -> None:
    """Thresholds and fusion knobs are what a centre's adaptation calibrates: a value out of range, a name
    nothing reads or a non-number would silently change every verdict, so the directory is refused instead."""
    from screening.knobs import KNOBS

    for name, value, number in _entries(path, manifest, "thresholds", "head → probability", THRESHOLD_NAMES,
                                        "threshold"):  # fmt: skip
        if number is None or not 0.0 < number < 1.0:
            raise ModelError(f"{path}: threshold {name} = {value!r} is not a probability strictly between 0 and 1")
    for name, value, number in _entries(path, manifest, "fusion", "knob → value", FUSION_KNOBS, "fusion knob"):
        knob = KNOBS[name]
        if number is None or not knob.low <= number <= knob.high:
            raise ModelError(f"{path}: fusion knob {name} = {value!r} is outside {knob.low}..{knob.high}")


class ContentModel:
    """Logistic heads (:data:`HEADS`, or the first three for format 1) over one feature space; immutable once
    loaded, shared by all calls."""

    def __init__(
        self, manifest: dict[str, Any], weights: npt.NDArray[np.float32], bias: npt.NDArray[np.float32],
        directory: Path | None = None, centre: CentreHead | None = None,
    ) -> None:  # fmt: skip
        self.manifest = manifest
        self.centre = centre
        self.features = FeatureConfig(**manifest["features"])
        self.weights = weights
        self.bias = bias
        self.directory = directory
        self.model_id: str = manifest["model_id"]
        self.heads: tuple[str, ...] = HEADS[: weights.shape[0]]  # format 1: the first three (load checks the manifest)
        self.thresholds: dict[str, float] = {k: float(v) for k, v in manifest.get("thresholds", {}).items()}
        # knob values calibrated for this model (adaptation); the lexicon's stand in for every name not here
        self.fusion: dict[str, float] = {k: float(v) for k, v in manifest.get("fusion", {}).items()}

    @classmethod
    def load(cls, directory: Path) -> ContentModel:
        directory = Path(directory)
        listed = _verify(directory)
        path = directory / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") not in FORMATS:
            got = manifest.get("format") if isinstance(manifest, dict) else None
            raise ModelError(f"{path}: format {got!r} is not one of {sorted(FORMATS)}")
        heads = FORMATS[manifest["format"]]
        if tuple(manifest.get("heads", ())) != heads or "model_id" not in manifest:
            raise ModelError(f"{path}: heads must be {list(heads)} and a model_id must be set")
        _check_calibration(path, manifest)
        try:
            config = FeatureConfig(**manifest["features"])
        except (KeyError, TypeError) as exc:
            raise ModelError(f"{path}: bad feature configuration ({exc})") from None
        wpath = directory / WEIGHTS
        try:
            with np.load(wpath, allow_pickle=False) as data:
                weights = np.ascontiguousarray(data["weights"], dtype=np.float32)
                bias = np.asarray(data["bias"], dtype=np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{wpath}: unreadable weights ({exc})") from None
        if weights.shape != (len(heads), config.size) or bias.shape != (len(heads),):
            raise ModelError(f"{wpath}: shape {weights.shape} does not match {len(heads)} heads × {config.size}")
        return cls(manifest, weights, bias, directory, _load_centre(directory, manifest, listed, config.size))

    @classmethod
    def shipped(cls) -> ContentModel:
        """The model that ships in the package (``screening/learned/model/``), loaded once."""
        return _shipped()

    def logits(self, text: str) -> tuple[list[str], npt.NDArray[np.float32], float]:
        """The n-grams of ``text`` and each one's share of every head's logit (heads × n-grams)."""
        grams, contrib, _, value = self._shares(learned_normal(text))
        return grams, contrib, value

    def _shares(self, normal: str) -> tuple[list[str], npt.NDArray[np.float32], npt.NDArray[np.float32] | None, float]:
        """(n-grams, heads × n-grams shares, the centre head's shares or None, the feature value) of already
        normalised text."""
        grams, buckets, value = hashed(normal, self.features)
        if not grams:
            empty = np.zeros((len(self.heads), 0), dtype=np.float32)
            return grams, empty, None if self.centre is None else empty[0], value
        own = None if self.centre is None else self.centre.weights[buckets] * value
        return grams, self.weights[:, buckets] * value, own, value

    def score(self, text: str) -> ContentScores:
        normal = learned_normal(text)
        grams, contrib, own, _ = self._shares(normal)
        heads = [_head(self.bias[row], contrib[row], grams) for row in range(len(self.heads))]
        offtopic = heads[3] if len(heads) > 3 else None
        centre = None if self.centre is None or own is None else _head(self.centre.bias, own, grams)
        return ContentScores(heads[0], heads[1], heads[2], self.model_id, len(normal), offtopic, centre)


def _head(bias: float | np.float32, values: npt.NDArray[np.float32], grams: list[str]) -> HeadScore:
    """A head's probability and its explanation from the n-grams' shares of its logit."""
    z = float(np.float32(bias) + values.sum()) if grams else float(bias)  # float32, as the heads were fitted
    prob = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    top: tuple[Contribution, ...] = ()
    if grams:
        # the strongest pushes each way: a low score is explained by what pulled it down, even when the biggest
        # single n-grams pushed up and the bias decided
        up = [i for i in np.argsort(-values)[:EVIDENCE_TOP] if values[i] > 0]
        down = [i for i in np.argsort(values)[:EVIDENCE_TOP] if values[i] < 0]
        order = sorted(up + down, key=lambda i: -abs(float(values[i])))
        top = tuple(Contribution(grams[i], round(float(values[i]), 3)) for i in order)
    return HeadScore(round(prob, 4), top)


def shipped_dir() -> Path:
    return Path(str(resources.files("screening.learned") / "model"))


@lru_cache(maxsize=1)
def _shipped() -> ContentModel:
    return ContentModel.load(shipped_dir())


def save_model(
    directory: Path, weights: npt.NDArray[np.float32], bias: npt.NDArray[np.float32], *, features: FeatureConfig,
    thresholds: dict[str, float], model_id: str, card: str, extra: dict[str, Any] | None = None,
    fusion: dict[str, float] | None = None, centre: CentreHead | None = None,
) -> Path:  # fmt: skip
    """Write a complete model directory (manifest, weights, card, checksums; the centre head when given);
    returns the directory. The format follows the number of weight rows: an adapted format-1 model stays
    format 1."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fmt = next(name for name, heads in FORMATS.items() if len(heads) == weights.shape[0])
    manifest = {"format": fmt, "model_id": model_id, "heads": list(FORMATS[fmt]), "features": features.as_dict(),
                "thresholds": thresholds} | ({"fusion": fusion} if fusion else {}) | (extra or {})  # fmt: skip
    names: tuple[str, ...] = REQUIRED
    stale = directory / CENTRE
    if centre is not None:
        index = np.flatnonzero(centre.weights)
        with stale.open("wb") as fh:  # sparse: a centre's rows touch a few thousand of the 2^18 buckets
            np.savez_compressed(fh, index=index.astype(np.int32), weights=centre.weights[index].astype(np.float32),
                                bias=np.asarray([centre.bias], dtype=np.float32))  # fmt: skip
        manifest["centre"] = {"file": CENTRE, "sha256": sha256_of(stale), "rows": centre.rows, "c": centre.c}
        names = (*REQUIRED, CENTRE)
    elif stale.exists():  # a directory rewritten without a centre head must not keep an old one lying about
        stale.unlink()
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with (directory / WEIGHTS).open("wb") as fh:
        np.savez_compressed(fh, weights=weights.astype(np.float16), bias=bias.astype(np.float32))
    (directory / CARD).write_text(card, encoding="utf-8")
    write_sums(directory, names)
    return directory


class _Configured(Protocol):
    learned: bool
    model_dir: Path | None


def load_scorer(config: _Configured, override: Path | None = None) -> ContentModel | None:
    """The model the configuration asks for: ``override`` (``--model DIR``), else ``model_dir``, else the shipped
    one; None when ``learned`` is off. Raises :class:`ModelError` naming the file when a directory is refused."""
    if override is not None:
        return ContentModel.load(override)
    if not config.learned:
        return None
    return ContentModel.load(config.model_dir) if config.model_dir is not None else ContentModel.shipped()
