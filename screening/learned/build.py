"""Building model directories: from the corpus (``callscreen train --corpus``) or by adapting a model to a
centre's own examples (``callscreen train FILE.tsv``), each with its validation figures and model card.

Validation is on rows the fit never saw: for a corpus build, a seeded tenth of every corpus subtype and a fifth of
the call-style examples; for an adaptation, a seeded fifth of the centre's rows (stratified by label), held out
from a trial fit *and its calibration*, on which the base model, the trial's adapted heads with the base's
thresholds, and the calibrated trial are measured through the full fusion, before the model is refit and
recalibrated on all rows. An adaptation's thresholds and fusion knobs are the centre's own, cross-validated on its
rows (:mod:`screening.learned.calibrate`) and written to the manifest. Corpus figures are those of the learned
call-level judgement alone; the command line adds the fused figures.
"""

from __future__ import annotations

import hashlib
import random
import textwrap
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screening.config import ScreeningConfig
from screening.learned.calibrate import CENTRE_AXES, Adapter, Calibration, calibrate
from screening.learned.data import Example, read_calls
from screening.learned.features import FeatureConfig
from screening.learned.figures import PLACES, precision_recall_f1
from screening.learned.model import CentreHead, ContentModel, ContentScores, save_model
from screening.learned.noise import Homophones
from screening.learned.train import (
    ADAPT_L2,
    SEED,
    adapt_heads,
    augmented,
    call_examples_path,
    cap_corpus,
    fit_centre,
    fit_heads,
    read_corpus_rows,
)
from screening.lexicon import Lexicon, load_lexicon
from screening.verdict import Label


@dataclass(frozen=True, slots=True)
class Strength:
    """How hard an adaptation pulls: the L2 pull towards the base weights, the weight of a centre's row against a
    replayed shipped example."""

    name: str
    l2: float
    centre_weight: float


# the first is the default (adaptation as it always was); the others are tried by cross-validation
STRENGTHS = (Strength("gentle", ADAPT_L2, 1.0), Strength("firm", ADAPT_L2 / 3, 3.0))

DEFAULT_THRESHOLDS = {"abusive": 0.6, "harassment": 0.7, "business": 0.75, "no_business": 0.3, "offtopic": 0.5}


def learned_call_flag(scores: ContentScores, thresholds: Mapping[str, float]) -> bool:
    """The learned models' call-level judgement alone: abuse aimed at the listener, or no business at all while
    saying something with another purpose (the offtopic head, where the model has one)."""
    t = DEFAULT_THRESHOLDS | dict(thresholds)
    other = scores.offtopic is None or scores.offtopic.prob >= t["offtopic"]
    return scores.aimed.prob >= t["harassment"] or (scores.business.prob < t["no_business"] and other)

CORPUS_SOURCES = (
    ("thu-coai/COLDataset", "Apache-2.0", "cold"),
    ("aggiejiang/SWSR", "MIT", "swsr"),
    ("thu-coai/KdConv", "Apache-2.0", "kdconv"),
    ("thu-coai/CDial-GPT (LCCC sample)", "MIT", "lccc"),
    ("liuaiting/ATEC", "Apache-2.0 (repository)", "atec"),
    ("SophonPlus/ChineseNlpCorpus waimai_10k + online_shopping_10_cats", "none stated", "review"),
)


@dataclass
class Figures:
    """Harassment-head figures on a set of rows."""

    n: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: int, flagged: bool) -> None:
        self.n += 1
        self.tp += bool(truth) and flagged
        self.fp += (not truth) and flagged
        self.fn += bool(truth) and not flagged
        self.tn += (not truth) and not flagged

    def as_dict(self) -> dict[str, float | int]:
        flagged = (self.tp + self.fp) / self.n if self.n else 0.0
        return {"n": self.n, **precision_recall_f1(self.tp, self.fp, self.fn), "flagged": round(flagged, PLACES)}


def head_figures(model: ContentModel, rows: Sequence[Example], by: str = "subtype") -> dict[str, dict[str, Any]]:
    """Per-subtype (and ``all``) figures of the learned call-level judgement at the model's own thresholds."""
    out: dict[str, Figures] = defaultdict(Figures)
    for row in rows:
        if row.harassment is None:
            continue
        flagged = learned_call_flag(model.score(row.text), model.thresholds)
        out[getattr(row, by)].add(row.harassment, flagged)
        out["all"].add(row.harassment, flagged)
    return {k: v.as_dict() for k, v in sorted(out.items())}


def split(
    rows: Sequence[Example], share: float, seed: int, key: str = "subtype"
) -> tuple[list[Example], list[Example]]:
    """(fit, held out): a seeded ``share`` of every ``key`` group is held out."""
    rng = random.Random(seed)
    groups: dict[str, list[Example]] = defaultdict(list)
    for row in rows:
        groups[str(getattr(row, key))].append(row)
    fit: list[Example] = []
    held: list[Example] = []
    for name in sorted(groups):
        members = list(groups[name])
        rng.shuffle(members)
        cut = round(len(members) * share) if len(members) > 1 else 0
        held.extend(members[:cut])
        fit.extend(members[cut:])
    return fit, held


def _model_id(prefix: str, payload: bytes) -> str:
    """Named by content, not by date: the same inputs rebuild the same id."""
    return f"{prefix}-{hashlib.sha256(payload).hexdigest()[:12]}"


def _figures_table(figures: dict[str, dict[str, Any]]) -> str:
    lines = ["| rows | n | precision | recall | F1 | flagged |", "|---|---|---|---|---|---|"]
    for name, f in figures.items():
        lines.append(f"| {name} | {f['n']} | {f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} | "
                     f"{f['flagged']:.3f} |")  # fmt: skip
    return "\n".join(lines)


def corpus_card(model_id: str, counts: dict[str, int], calls: dict[str, int], figures: dict[str, dict[str, Any]],
                command: str, extra: str = "") -> str:  # fmt: skip
    rows = "\n".join(f"| {name} | {licence} | {sum(n for st, n in counts.items() if st.startswith(group + '_'))} |"
                     for name, licence, group in CORPUS_SOURCES)  # fmt: skip
    subtypes = "\n".join(f"| {st} | {n} |" for st, n in sorted(counts.items()))
    call_rows = "\n".join(f"| {name} | {n} |" for name, n in sorted(calls.items()))
    return f"""# Model card — learned content models `{model_id}`

Four logistic-regression heads over hashed character 1–4-grams and pinyin-syllable 2–3-grams of normalised text
(`screening/learned/`): **abusive** (abusive, sexual or threatening language), **harassment** (abuse, sexual
talk or threats aimed at a person — in a call, the agent), **business** (talks about a customer-service matter)
and **offtopic** (says something with another purpose: chit-chat, assistant queries, commentary, abuse). A
finished window with no business *and* another purpose is how pranks and chit-chat are found; a greeting or a
sentence cut off before its matter has neither. Scored with numpy from `weights.npz` (format
`callscreen-learned/2`; three-head format-1 directories still load); every score comes with the n-grams that
pushed it.

## Rebuild

    {command}

Deterministic (seed {SEED}); needs scikit-learn (a runtime dependency, used only by `callscreen train`).

## Training data

Rows after the per-subtype cap; a seeded tenth of each subtype is held out for validation. The corpus is not
redistributed. `dev_utterances.tsv` is not used for training.

| source | licence | rows |
|---|---|---|
{rows}

| subtype | rows |
|---|---|
{subtypes}

Call-style examples (committed, GPL-3.0-or-later, written for this project) and call files:

| file | rows |
|---|---|
{call_rows}

Every call-style row is also used as ASR-noised and partial variants; 30% of corpus rows get an ASR-noised
variant, 60% a call-framed one (spoken opener, 商家/卖家 → 你们), for both classes alike. The offtopic head also
learns from 8,000 filler-only rows (喂, 你好请问, 转人工 … one to three of them), from 3,000 call-handling rows (60
frames with slots, `train.py: PROCEDURE_FRAMES`: who gave the number, wait while I find the bill, a name or number
given, an earlier call, goodbye, a noisy place) and from the first part of 15% of the business rows (a caller cut
off before the matter): 0 for it, unknown to the other heads.

## What the heads are and are not

- *harassment* (aimed) is abuse, sexual talk or threats aimed at a person: the call-style rows' insults, sexual
  remarks and threats, COLD's attacks on an individual and SWSR's sexual offences are 1; attacks on groups,
  sexism about women in general and the reviews that swear (angry customers) are 0; COLD's unsplit offensive rows
  are not used for this head. Pranks and chit-chat are harassment too, but not aimed abuse: the call-level
  judgement finds them through the *business* and *offtopic* heads (nothing about a customer-service matter over
  the window, and something with another purpose said).
- For figures, the corpus's call-level truth is `1 − business`: social-media commentary, chit-chat and online
  abuse are not customer-service matters; enquiries and reviews (also the ones that swear) are.
- The complaint guard stays in the fusion: talking business caps all abuse (rules and learned) below the
  harassment threshold.

## Validation (rows the fit never saw; learned models alone: aimed abuse, or no business and another purpose)

{_figures_table(figures)}
{extra}"""


def build_from_corpus(
    corpus_paths: Sequence[Path], call_paths: Sequence[Path], out: Path, *, command: str, seed: int = SEED,
    features: FeatureConfig | None = None, thresholds: dict[str, float] | None = None,
) -> tuple[ContentModel, dict[str, Any]]:  # fmt: skip
    """Fit the heads on the corpus and call files, hold out a tenth for the figures, write ``out``."""
    started = time.monotonic()
    config = features or FeatureConfig()
    rng = random.Random(seed)
    corpus = read_corpus_rows(corpus_paths)
    calls: list[Example] = []
    call_counts: dict[str, int] = {}
    for path in (call_examples_path(), *call_paths):
        got = read_calls(path)
        call_counts[path.name] = len(got)
        calls.extend(got)
    corpus = cap_corpus(corpus, seed=rng)
    fit_corpus, held_corpus = split(corpus, 0.1, seed)
    fit_calls, held_calls = split(calls, 0.2, seed)
    homophones = Homophones.from_texts(e.text for e in fit_corpus)
    fitted = fit_heads(augmented(fit_corpus, fit_calls, homophones, seed), config, seed=seed)
    counts: dict[str, int] = defaultdict(int)
    for row in corpus:
        counts[row.subtype] += 1
    model_id = _model_id("corpus", fitted.weights.tobytes())
    chosen = dict(thresholds or DEFAULT_THRESHOLDS)
    probe = ContentModel({"model_id": model_id, "features": config.as_dict(), "thresholds": chosen},
                         fitted.weights, fitted.bias)  # fmt: skip
    figures = head_figures(probe, held_corpus) | {
        f"calls:{k}": v for k, v in head_figures(probe, held_calls).items() if k == "all"
    }
    card = corpus_card(model_id, dict(counts), call_counts, figures, command)
    save_model(out, fitted.weights, fitted.bias, features=config, thresholds=chosen, model_id=model_id, card=card,
               extra={"seed": seed, "rows": {"corpus": len(fit_corpus), "calls": len(fit_calls)}})  # fmt: skip
    seconds = round(time.monotonic() - started)
    report = {"model_id": model_id, "out": str(out), "validation": figures, "seconds": seconds}
    return ContentModel.load(out), report


def strength_adapter(base: ContentModel, replay: Sequence[Example], homophones: Homophones, seed: int,
                     strength: Strength = STRENGTHS[0], *, centre: bool = True) -> Adapter:  # fmt: skip
    """Heads adapted to some of the centre's rows (plus a seeded replay of the shipped call-style examples, three
    per row, so the base is not forgotten) and, with ``centre``, a centre head fitted on those rows alone — the
    same fit for the cross-validation folds and the final model. ``strength``: the L2 pull towards the base and
    how much each of the centre's rows counts against a replayed one."""

    def fit(rows: Sequence[Example]) -> ContentModel:
        rng = random.Random(seed)
        sample = rng.sample(list(replay), min(len(replay), 3 * len(rows)))
        data = augmented([], rows, homophones, seed)
        data.weights = [w * strength.centre_weight for w in data.weights]
        shipped = augmented([], sample, homophones, seed + 1)
        data.examples.extend(shipped.examples)
        data.weights.extend(shipped.weights)
        fitted = adapt_heads(base, data, l2=strength.l2)
        own = fit_centre(rows, base.features, homophones, seed=seed) if centre else None
        return ContentModel(base.manifest, fitted.weights, fitted.bias, centre=own)

    return fit


def _calibrated(model: ContentModel, calibration: Calibration) -> ContentModel:
    manifest = model.manifest | {"thresholds": calibration.thresholds, "fusion": calibration.fusion}
    return ContentModel(manifest, model.weights, model.bias, centre=_kept_centre(model, calibration.fusion))


def _kept_centre(model: ContentModel, fusion: Mapping[str, float]) -> CentreHead | None:
    """The centre head when the calibration gives it a weight; a head nothing counts is not written."""
    trusted = any(fusion.get(name, 0.0) > 0 for name in CENTRE_AXES)
    return model.centre if trusted else None


def fused_figures(model: ContentModel, rows: Sequence[Example], config: ScreeningConfig) -> dict[str, Any]:
    """The full screening verdict (rules + learned, fused — what ``eval`` runs) on the rows."""
    from screening.engine import ScreeningEngine  # the engine imports the signals, not this module

    engine = ScreeningEngine.offline(config, model)
    figures = Figures()
    for row in rows:
        if row.harassment is not None:
            figures.add(row.harassment, engine.screen_transcript(row.text, None, None).label is Label.HARASSMENT)
    return figures.as_dict()


def _centre_text(own: CentreHead | None, fusion: Mapping[str, float]) -> str:
    if own is None:
        return ("No centre head: out of fold, trusting a head fitted on the centre's rows alone gained nothing "
                "the rule accepts.\n")
    text = (f"Centre head (`centre.npz`, listed in `manifest.json` with its checksum): a logistic regression over "
            f"the same n-grams fitted on the {own.rows} rows alone, harassment against legitimate, strength C "
            f"{own.c:g} and its logit rescaled by cross-validation on those rows "
            f"(`screening/learned/train.py: fit_centre`). It gives the reason `content.learned_centre` with the "
            f"n-grams that pushed it, weighing {fusion.get('learned_centre_up', 0.0):g} × (2p − 1) towards "
            f"harassment and {fusion.get('learned_centre_down', 0.0):g} × (1 − 2p) towards legitimate; its push "
            "towards harassment is capped with the abuse by the complaint guard.")
    return "\n" + textwrap.fill(text, width=115, break_on_hyphens=False) + "\n"


def _calibration_text(report: dict[str, Any]) -> str:
    if report.get("chosen") == "base":
        return f"The base model's thresholds and fusion knobs are kept: {report.get('why', '')}."
    chosen = f"fit {report['strength']}, " + ", ".join(f"{k} {v:g}" for k, v in report["chosen"].items())
    before, after = report["out_of_fold_base_values"], report["out_of_fold_chosen"]
    return (f"Chosen by {report['folds']}-fold cross-validation on the centre's rows "
            f"(`screening/learned/calibrate.py`): {chosen}. Out of fold, full fusion with the rules: base values "
            f"P {before['precision']:.3f} / R "
            f"{before['recall']:.3f} / F1 {before['f1']:.3f} → chosen P {after['precision']:.3f} / R "
            f"{after['recall']:.3f} / F1 {after['f1']:.3f} (false flags {before['fp']} → {after['fp']}, angry "
            f"customers flagged {before['angry_flagged']} → {after['angry_flagged']}).")  # fmt: skip


def adapt(
    base: ContentModel, rows: Sequence[Example], out: Path, *, command: str, seed: int = SEED,
    validate: bool = True, config: ScreeningConfig | None = None, lexicon: Lexicon | None = None,
    centre: bool = True,
) -> tuple[ContentModel, dict[str, Any]]:  # fmt: skip
    """Adapt ``base`` to a centre's rows and calibrate its thresholds and fusion knobs on them
    (:mod:`screening.learned.calibrate`), with (``centre``) a centre head of its own that the calibration may
    trust; figures on a held-out fifth — base, adapted heads alone, adapted and calibrated, each calibration
    chosen without the fifth; write ``out``."""
    config = config or ScreeningConfig()
    lexicon = lexicon or load_lexicon(config.lexicon_dir)
    replay = read_calls(call_examples_path(), group="shipped")
    homophones = Homophones.from_texts(e.text for e in [*rows, *replay])
    adapters = [(s.name, strength_adapter(base, replay, homophones, seed, s, centre=centre)) for s in STRENGTHS]
    report: dict[str, Any] = {"rows": len(rows), "base_model": base.model_id}
    if validate and len(rows) >= 10:
        fit_rows, held = split(rows, 0.2, seed, key="harassment")
        trial = adapters[0][1](fit_rows)
        chosen = calibrate(base, fit_rows, adapters, lexicon, config, seed, replay)
        # the gentle fit is ``trial`` itself (seeded: a second fit would give the same weights)
        trial_fit = trial if chosen.strength == 0 else adapters[chosen.strength][1](fit_rows)
        trial_calibrated = _calibrated(trial_fit, chosen)
        report["held_out"] = {"base": head_figures(base, held)["all"], "adapted": head_figures(trial, held)["all"]}
        report["held_out_fused"] = {"base": fused_figures(base, held, config),
                                    "adapted_heads_only": fused_figures(trial, held, config),
                                    "adapted": fused_figures(trial_calibrated, held, config)}  # fmt: skip
    calibration = calibrate(base, rows, adapters, lexicon, config, seed, replay)
    fitted = adapters[calibration.strength][1](rows)
    own = _kept_centre(fitted, calibration.fusion)
    report["calibration"] = calibration.report
    model_id = _model_id("adapted", fitted.weights.tobytes() + repr(sorted(calibration.fusion.items())).encode()
                         + repr(sorted(calibration.thresholds.items())).encode()
                         + (own.weights.tobytes() if own is not None else b""))  # fmt: skip
    base_card = (base.directory / "MODEL_CARD.md").read_text(encoding="utf-8") if base.directory else ""
    compared = report.get("held_out_fused")
    figures = (_figures_table({"held out, base": compared["base"],
                               "held out, adapted heads, base thresholds": compared["adapted_heads_only"],
                               "held out, adapted and calibrated": compared["adapted"]})
               if compared else "(too few rows to hold any out)")  # fmt: skip
    card = f"""# Model card — adapted learned content models `{model_id}`

Adapted from `{base.model_id}` to {len(rows)} of the centre's own rows: the weights minimise the log-loss on those
rows (plus the shipped call-style examples, replayed so the base is not forgotten) with an L2 pull towards the base
weights (`screening/learned/train.py: adapt_heads`). The centre's rows are its own data; they are not shipped.
{_centre_text(own, calibration.fusion)}
## Calibration (thresholds and fusion knobs in `manifest.json`)

{_calibration_text(calibration.report)}

## Rebuild

    {command}

## Validation (a seeded fifth of the centre's rows, held out from the trial fit and its calibration; full fusion)

{figures}

---

{base_card}"""
    save_model(out, fitted.weights, fitted.bias, features=base.features, thresholds=calibration.thresholds,
               model_id=model_id, card=card, fusion=calibration.fusion, centre=own,
               extra={"base_model": base.model_id, "seed": seed, "calibration": calibration.report})  # fmt: skip
    report |= {"model_id": model_id, "out": str(out),
               "centre_head": None if own is None else {"rows": own.rows, "c": own.c} | {
                   name: calibration.fusion.get(name, 0.0) for name in CENTRE_AXES}}  # fmt: skip
    return ContentModel.load(out), report
