"""Learned content models: validation split, rules-only vs learned vs fused, per source, clean and ASR-noised.

    .venv/bin/python bench/learned_validation.py [--fit] [--grid] [--loso] [--adapt corpus|probe|loso:G1+G2]

--fit   refits the validation model (90% of the capped corpus per subtype, 80% of the call-style examples; the
        development set is not used) into var/learned-validation/ — a few minutes. Without it the shipped model is
        measured: `callscreen train --corpus` builds it from exactly this split, so it never saw these rows.
--grid  searches the fusion knobs (learned_* weights, manifest thresholds) for the highest recall with precision
        ≥ 0.95 and ≤ 3% angry complaints flagged on the held-out corpus + call rows, and prints the best.
--loso  leave-one-source-out: one fit per corpus source family without it, the head measured on that family.
--adapt a centre's half-and-half: adapt on one half, measure the full screening on the other, for the base, the
        adapted heads with the base's thresholds (as adaptation was), the adapted, calibrated model without a
        centre head (as `train` was) and with one (as `train` is). ``loso:``
        fits (once, cached in var/learned-loso-*) the model without those families — two of them, so that the
        centre's half has both labels (a family is all harassment or all legitimate) — and adapts that.

--adapt prints the final model's errors on half B with the reasons behind each; CS_BENCH_TAG=-x suffixes its
output directories (var/learned-adapted-*-x) so two runs can go side by side.

Held-out sets: the corpus tenth (at most PER_SUBTYPE rows of each subtype, to keep the rule engine's part short),
the call-style fifth, dev_utterances.tsv, and an ASR-noised copy of each (homophone substitution from pinyin,
dropped and doubled characters; seeded). For the corpus, harassment = not a customer-service matter (SPEC:
chit-chat and abuse with no business purpose); reviews that swear are the angry complaints.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.config import ScreeningConfig  # noqa: E402
from screening.learned.build import learned_call_flag, split  # noqa: E402
from screening.learned.data import Example, call_example, read_calls  # noqa: E402
from screening.learned.model import ContentModel, ContentScores, load_scorer, save_model  # noqa: E402
from screening.learned.noise import Homophones, asr_noise  # noqa: E402
from screening.learned.train import (  # noqa: E402
    SEED,
    augmented,
    call_examples_path,
    cap_corpus,
    fit_heads,
    read_corpus_rows,
)  # fmt: skip
from screening.lexicon import load_lexicon  # noqa: E402
from screening.scoring import fuse  # noqa: E402
from screening.signal import Observation  # noqa: E402
from screening.signals.content import ContentAnalyzer, RuleContentSignal  # noqa: E402
from screening.signals.learned import LearnedContentSignal  # noqa: E402
from screening.text.normalize import normalize_text  # noqa: E402
from screening.verdict import Label, Reason, Verdict  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "train" / "train.tsv"
DEV = ROOT.parent / "shared" / "data" / "dev_utterances.tsv"
PROBE = ROOT / "bench" / "data" / "ood_probe.tsv"  # measuring only: never trained on, never tuned against
# measuring only: call talk written blind by an engineer who saw no code or data (BENCHMARKS: "Call talk")
CALLTALK = ROOT / "bench" / "data" / "calltalk_probe.tsv"
OUT = ROOT / "var" / "learned-validation"
PER_SUBTYPE = 300
ANGRY = frozenset({"angry_complaint", "review_negative_profanity", "angry"})


@dataclass
class Row:
    text: str
    truth: int
    subtype: str
    rules: tuple[Reason, ...] = ()
    scores: ContentScores | None = None


class _Cached:
    """A scorer that hands back precomputed scores, so the knob grid re-fuses without re-scoring."""

    def __init__(self, model: ContentModel, thresholds: Mapping[str, float]) -> None:
        self.model_id = model.model_id
        self.thresholds = thresholds
        self.fusion: dict[str, float] = {}
        self.current: ContentScores | None = None

    def score(self, text: str) -> ContentScores:
        assert self.current is not None
        return self.current


class _Knobs:
    def __init__(self, base: Any, override: Mapping[str, float]) -> None:
        self.base, self.override = base, override

    def weight(self, name: str) -> float:
        return float(self.override[name]) if name in self.override else float(self.base.weight(name))


def held_out(seed: int = SEED) -> tuple[list[Example], list[Example], list[Example], list[Example]]:
    corpus = cap_corpus(read_corpus_rows([CORPUS]), seed=random.Random(seed))
    fit_corpus, held_corpus = split(corpus, 0.1, seed)
    calls = read_calls(call_examples_path())
    fit_calls, held_calls = split(calls, 0.2, seed)
    return fit_corpus, held_corpus, fit_calls, held_calls


def prepare(rows: Sequence[Example], model: ContentModel, rules: RuleContentSignal) -> list[Row]:
    out = []
    for e in rows:
        if e.harassment is None:
            continue
        text = normalize_text(e.text)
        obs = Observation(transcript=text, end_of_window=True)
        out.append(Row(text, e.harassment, e.subtype, tuple(rules.reasons(obs)), model.score(text)))
    return out


class _Fuser:
    """Rules + learned through the one fusion with the given knobs and thresholds, as ``eval`` fuses them."""

    def __init__(self, model: ContentModel, knobs: Mapping[str, float], thresholds: Mapping[str, float]) -> None:
        self.config = ScreeningConfig()
        self.weights = _Knobs(load_lexicon(None), knobs)
        self.cached = _Cached(model, thresholds)
        self.signal = LearnedContentSignal(self.cached, self.weights,  # type: ignore[arg-type]
                                           no_business_min_chars=self.config.no_business_min_chars)  # fmt: skip

    def verdict(self, row: Row, *, learned: bool = True) -> Verdict:
        reasons = list(row.rules)
        if learned:
            self.cached.current = row.scores
            reasons.extend(self.signal.reasons(Observation(transcript=row.text, end_of_window=True)))
        w = self.weights.weight
        return fuse(reasons, self.config, complaint_abuse_cap=w("complaint_abuse_cap"),
                    no_business_veto=w("learned_no_business_veto"), guard_veto=w("learned_guard_veto"))  # fmt: skip


def verdicts(rows: Sequence[Row], mode: str, model: ContentModel, knobs: Mapping[str, float],
             thresholds: Mapping[str, float]) -> list[bool]:  # fmt: skip
    if mode == "learned":
        return [row.scores is not None and learned_call_flag(row.scores, thresholds) for row in rows]
    fuser = _Fuser(model, knobs, thresholds)
    return [fuser.verdict(row, learned=mode == "fused").label is Label.HARASSMENT for row in rows]


def show(sets: Mapping[str, Sequence[Row]], model: ContentModel, knobs: Mapping[str, float],
         subtypes: Sequence[str]) -> None:  # fmt: skip
    """Print every wrongly judged row of ``subtypes`` (fused: a legitimate row flagged, a harassing one missed)
    with the reasons and evidence behind its verdict."""
    wanted = {s for name in subtypes for s in (ANGRY if name == "angry" else {name})}
    fuser = _Fuser(model, knobs, model.thresholds)
    for name, rows in sets.items():
        for row in rows:
            if row.subtype not in wanted or ((verdict := fuser.verdict(row)).label is Label.HARASSMENT) == row.truth:
                continue
            wrong = "flagged" if row.truth == 0 else "missed"
            print(f"\n[{name}] {row.subtype} {wrong} {verdict.score:.2f} {row.text}")
            for r in verdict.reasons:
                print(f"    {r.code.value:<26} {r.weight:+.3f} {r.detail} | {' '.join(r.evidence)}")


def figures(rows: Sequence[Row], flags: Sequence[bool]) -> dict[str, Any]:
    tp = sum(1 for r, f in zip(rows, flags, strict=True) if f and r.truth)
    fp = sum(1 for r, f in zip(rows, flags, strict=True) if f and not r.truth)
    pos = sum(r.truth for r in rows)
    angry = [f for r, f in zip(rows, flags, strict=True) if r.subtype in ANGRY]
    p = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / pos if pos else 0.0
    f1 = 2 * p * rec / (p + rec) if p + rec else 0.0
    return {"n": len(rows), "precision": round(p, 3), "recall": round(rec, 3), "f1": round(f1, 3),
            "angry_flagged": round(sum(angry) / len(angry), 3) if angry else None}  # fmt: skip


def per_subtype(rows: Sequence[Row], flags: Sequence[bool]) -> dict[str, float]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for r, f in zip(rows, flags, strict=True):
        groups[r.subtype].append(f)
    return {k: round(sum(v) / len(v), 3) for k, v in sorted(groups.items())}


def noised(rows: Sequence[Example], homophones: Homophones, seed: int) -> list[Example]:
    rng = random.Random(seed)
    return [e.with_text(asr_noise(e.text, homophones, rng)) for e in rows]


def current_knobs() -> dict[str, float]:
    lexicon = load_lexicon(None)
    names = ("learned_abuse", "learned_harassment", "learned_business", "learned_no_business",
             "learned_no_business_max", "complaint_abuse_cap", "learned_no_business_veto",
             "learned_guard_veto")  # fmt: skip
    return {n: lexicon.weight(n) for n in names}


def grid(sets: dict[str, list[Row]], model: ContentModel) -> None:
    """Highest mean recall (corpus, its noised copy, call rows) with the targets held on corpus, noised corpus, dev."""
    best: tuple[float, dict[str, float], dict[str, float]] | None = None
    tried: list[tuple[Any, ...]] = []
    space = itertools.product((0.6,), (0.7,), (-0.6,), (0.75,), (0.8, 1.0), (0.3, 0.4),
                              (0.25, 0.4), (0.4,), (0.4, 0.5, 0.6))  # fmt: skip
    for w_h, t_h, w_b, t_b, w_nb, nb_max, w_a, veto, t_off in space:
        knobs = current_knobs() | {"learned_harassment": w_h, "learned_business": w_b, "learned_no_business": w_nb,
                                   "learned_no_business_max": nb_max, "learned_abuse": w_a,
                                   "learned_no_business_veto": veto}  # fmt: skip
        th = {"abusive": model.thresholds.get("abusive", 0.6), "harassment": t_h, "business": t_b,
              "no_business": nb_max, "offtopic": t_off}  # fmt: skip
        got = {name: figures(sets[name], verdicts(sets[name], "fused", model, knobs, th))
               for name in ("corpus", "corpus+asr", "calls", "dev", "probe", "probe+asr")}  # fmt: skip
        ok = all(got[n]["precision"] >= 0.95 and (got[n]["angry_flagged"] or 0) <= 0.03
                 for n in ("corpus", "corpus+asr", "dev")) and got["dev"]["recall"] >= 0.85  # fmt: skip
        score = (got["corpus"]["recall"] + got["corpus+asr"]["recall"] + got["calls"]["recall"]) / 3
        if ok and (best is None or score > best[0]):
            best = (score, knobs, th)
            print("better", round(score, 4), got, knobs, th, flush=True)
        tried.append((score, ok, {n: (f["precision"], f["recall"], f["angry_flagged"]) for n, f in got.items()},
                      {k: v for k, v in knobs.items() if k != "complaint_abuse_cap"}, th))  # fmt: skip
    print("best", best)
    for entry in sorted(tried, key=lambda t: -t[0])[:12]:
        print("top", entry)


def loso(fit_corpus: list[Example], held_corpus: list[Example], fit_calls: list[Example],
         homophones: Homophones, config: Any, thresholds: Mapping[str, float]) -> None:  # fmt: skip
    """Leave one source family out: fit without it, measure the learned judgement on its held-out rows."""
    groups = sorted({e.group for e in fit_corpus})
    for group in groups:
        started = time.monotonic()
        rest = [e for e in fit_corpus if e.group != group]
        fitted = fit_heads(augmented(rest, fit_calls, homophones), config)
        model = ContentModel({"model_id": f"loso-{group}", "features": config.as_dict(), "thresholds": thresholds},
                             fitted.weights, fitted.bias)  # fmt: skip
        rows: dict[str, list[bool]] = defaultdict(list)
        truth = {}
        for e in held_corpus:
            if e.group == group and len(rows[e.subtype]) < PER_SUBTYPE:
                rows[e.subtype].append(learned_call_flag(model.score(e.text), thresholds))
                truth[e.subtype] = e.harassment
        shares = {k: round(sum(v) / len(v), 3) for k, v in sorted(rows.items())}
        print(f"without {group:<7} ({time.monotonic() - started:.0f} s): share flagged "
              + ", ".join(f"{k} {v} (truth {truth[k]})" for k, v in shares.items()), flush=True)  # fmt: skip


def loso_model(groups: Sequence[str], fit_corpus: list[Example], fit_calls: list[Example],
               shipped: ContentModel) -> ContentModel:  # fmt: skip
    """The model fitted exactly as the shipped one but without the corpus families ``groups`` (cached in var/)."""
    out = ROOT / "var" / f"learned-loso-{'+'.join(sorted(groups))}"
    if (out / "manifest.json").is_file():
        return ContentModel.load(out)
    started = time.monotonic()
    rest = [e for e in fit_corpus if e.group not in groups]
    homophones = Homophones.from_texts(e.text for e in rest)
    fitted = fit_heads(augmented(rest, fit_calls, homophones), shipped.features)
    name = "+".join(sorted(groups))
    save_model(out, fitted.weights, fitted.bias, features=shipped.features, thresholds=dict(shipped.thresholds),
               model_id=f"loso-{name}", card=f"fitted without {name} (bench/learned_validation.py)\n")  # fmt: skip
    print(f"fitted without {sorted(groups)} in {time.monotonic() - started:.0f} s", flush=True)
    return ContentModel.load(out)


def _screen(model: ContentModel, rows: Sequence[Example], *, wrong: str = "") -> dict[str, Any]:
    """The full screening's figures on ``rows``; with ``wrong``, also print its errors (false flags and missed
    harassment) with the reasons behind each verdict, headed by ``wrong``."""
    from screening.engine import ScreeningEngine

    engine = ScreeningEngine.offline(ScreeningConfig(), model)
    verdicts = [engine.screen_transcript(e.text, None, None) for e in rows]
    flags = [v.label is Label.HARASSMENT for v in verdicts]
    if wrong:
        for e, v, flagged in zip(rows, verdicts, flags, strict=True):
            if flagged != bool(e.harassment):
                print(f"  {wrong} {'FALSE FLAG' if flagged else 'missed'} {e.subtype} {v.score:.2f} {e.text}")
                for r in v.reasons:
                    print(f"      {r.code.value:<26} {r.weight:+.3f} {r.detail} | {' '.join(r.evidence)[:120]}")
    return figures([Row(e.text, int(e.harassment or 0), e.subtype) for e in rows], flags)


def adaptation(name: str, pool: Sequence[Example], base: ContentModel, control: Sequence[Example] = ()) -> None:
    """A centre's half-and-half: adapt ``base`` on one half of ``pool`` (in eval's format: text and label only),
    measure the full screening on the other half (and its ASR-noised copy, and ``control`` rows of other
    sources). Four models: the base; the adapted heads with the base's thresholds and knobs (adaptation as it
    was before calibration); the adapted, calibrated directory without a centre head (``train`` before it had
    one); the directory ``callscreen train`` writes now (calibrated, with the centre head when it gains)."""
    from screening.learned.build import adapt, strength_adapter

    half_a, half_b = split(pool, 0.5, SEED + 7)
    centre = [e for e in (call_example(x.text, "harassment" if x.harassment else "legit", "", "centre")
                          for x in half_a) if e is not None]  # fmt: skip
    models: list[tuple[str, ContentModel]] = [("base", base)]
    replay = read_calls(call_examples_path(), group="shipped")
    gentle = strength_adapter(base, replay, Homophones.from_texts(e.text for e in [*centre, *replay]), SEED,
                              centre=False)  # fmt: skip
    models.append(("adapted heads only", gentle(centre)))  # as it was: default fit, the base's thresholds, knobs
    for label, with_centre in (("calibrated", False), ("calibrated + centre", True)):
        started = time.monotonic()
        tag = os.environ.get("CS_BENCH_TAG", "")
        out = OUT.parent / f"learned-adapted-{name}{'-centre' if with_centre else ''}{tag}"
        adapted, report = adapt(base, centre, out, command="bench", validate=False, centre=with_centre)
        calibration = report["calibration"]
        print(f"[{name}] {label}: adapted on half A ({len(centre)} rows) in {time.monotonic() - started:.0f} s; "
              f"{calibration.get('strength')} {calibration.get('chosen')} "
              f"{calibration.get('out_of_fold_base_values', '')} → {calibration.get('out_of_fold_chosen', '')}; "
              f"centre head {'written' if adapted.centre is not None else 'not written'}", flush=True)  # fmt: skip
        models.append((label, adapted))
    noised_b = noised(half_b, Homophones.from_texts(e.text for e in pool), SEED + 2)
    sets = {"half B": half_b, "half B +asr": noised_b} | ({"control": list(control)} if control else {})
    for set_name, rows in sets.items():
        for label, model in models:
            f = _screen(model, rows, wrong=f"[{set_name} {label}]" if model is models[-1][1] and set_name == "half B"
                        else "")  # fmt: skip
            print(f"[{name}] {set_name:<12} {label:<21} n={f['n']} P={f['precision']:.3f} R={f['recall']:.3f} "
                  f"F1={f['f1']:.3f} angry={f['angry_flagged']}", flush=True)  # fmt: skip


def adaptation_runs(which: str, fit_corpus: list[Example], held_corpus: list[Example], fit_calls: list[Example],
                    held_calls: list[Example], shipped: ContentModel) -> None:  # fmt: skip
    """``corpus``: half of the held-out corpus + call rows (the base's own domain); ``probe``: half of the probe
    (measuring only — adapted on as a centre would, nothing chosen from it); ``loso:G1+G2``: the model fitted
    without those families, adapted on half of their rows, measured on the other half and on the others."""
    by_subtype: dict[str, list[Example]] = defaultdict(list)
    for e in held_corpus:
        by_subtype[e.subtype].append(e)
    if which == "corpus":
        adaptation("corpus", [e for k in sorted(by_subtype) for e in by_subtype[k][:120]] + held_calls, shipped)
    elif which == "probe":
        adaptation("probe", read_calls(PROBE, group="probe"), shipped)
    elif which.startswith("loso:"):
        groups = which.removeprefix("loso:").split("+")
        base = loso_model(groups, fit_corpus, fit_calls, shipped)
        rng = random.Random(SEED + 11)
        family: dict[str, list[Example]] = defaultdict(list)
        for e in [*fit_corpus, *held_corpus]:
            if e.group in groups:
                family[e.subtype].append(e)
        pool = [e for k in sorted(family) for e in rng.sample(family[k], min(150, len(family[k])))]
        control = [e for k in sorted(by_subtype) if by_subtype[k][0].group not in groups
                   for e in by_subtype[k][:40]] + held_calls  # fmt: skip
        adaptation(which, pool, base, control)
    else:
        raise SystemExit(f"--adapt {which}: not corpus, probe or loso:G1+G2")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--loso", action="store_true")
    parser.add_argument("--adapt", metavar="WHICH", help="corpus | probe | loso:G1+G2 (half-and-half adaptation)")
    parser.add_argument("--loso-fit", metavar="G1,G2", help="only fit (and cache) the model without these families")
    parser.add_argument("--json", type=Path, help="write the figures here as well")
    parser.add_argument("--model", type=Path, metavar="DIR", help="measure this model directory, not the shipped one")
    parser.add_argument("--show", metavar="SUBTYPES", help="print the fused verdict's reasons for the wrongly judged "
                        "rows of these subtypes (comma-separated; 'angry' = the angry complaints)")  # fmt: skip
    args = parser.parse_args()
    started = time.monotonic()
    fit_corpus, held_corpus, fit_calls, held_calls = held_out()
    homophones = Homophones.from_texts(e.text for e in fit_corpus)
    shipped = load_scorer(ScreeningConfig())
    assert shipped is not None
    if args.loso_fit:
        loso_model(args.loso_fit.split(","), fit_corpus, fit_calls, shipped)
        return
    if args.adapt:
        adaptation_runs(args.adapt, fit_corpus, held_corpus, fit_calls, held_calls, shipped)
        return
    if args.loso:
        loso(fit_corpus, held_corpus, fit_calls, homophones, shipped.features, shipped.thresholds)
        return
    # built by `callscreen train --corpus` from exactly this split: it never saw the held-out rows
    model = ContentModel.load(args.model) if args.model else shipped
    if args.fit:
        fitted = fit_heads(augmented(fit_corpus, fit_calls, homophones), shipped.features)
        save_model(OUT, fitted.weights, fitted.bias, features=shipped.features, thresholds=shipped.thresholds,
                   model_id="validation", card="validation model (bench/learned_validation.py)\n")  # fmt: skip
        print(f"fit in {time.monotonic() - started:.0f} s", flush=True)
        model = ContentModel.load(OUT)
    rules = RuleContentSignal(ContentAnalyzer(load_lexicon(None)))
    by_subtype: dict[str, list[Example]] = defaultdict(list)
    for e in held_corpus:
        by_subtype[e.subtype].append(e)
    corpus_rows = [e for k in sorted(by_subtype) for e in by_subtype[k][:PER_SUBTYPE]]
    dev = read_calls(DEV, group="dev")
    raw = {"corpus": corpus_rows, "calls": held_calls, "dev": dev, "probe": read_calls(PROBE, group="probe"),
           "calltalk": read_calls(CALLTALK, group="calltalk")}
    sets = {name: prepare(rows, model, rules) for name, rows in raw.items()}
    sets |= {f"{name}+asr": prepare(noised(rows, homophones, SEED + 1), model, rules) for name, rows in raw.items()}
    if args.grid:
        grid(sets, model)
        return
    knobs = current_knobs()
    report: dict[str, Any] = {}
    for name, rows in sets.items():
        for mode in ("rules", "learned", "fused"):
            flags = verdicts(rows, mode, model, knobs, model.thresholds)
            report[f"{name} {mode}"] = figures(rows, flags) | {"by_subtype": per_subtype(rows, flags)}
            f = report[f"{name} {mode}"]
            print(f"{name:<11} {mode:<8} n={f['n']:<5} P={f['precision']:.3f} R={f['recall']:.3f} "
                  f"F1={f['f1']:.3f} angry={f['angry_flagged']}", flush=True)  # fmt: skip
    for name in ("corpus", "corpus+asr", "calls", "dev", "probe", "probe+asr", "calltalk", "calltalk+asr"):
        print(f"\n{name}: share flagged harassment per subtype (rules / learned / fused)")
        subs = report[f"{name} rules"]["by_subtype"]
        for sub in subs:
            vals = " / ".join(f"{report[f'{name} {m}']['by_subtype'][sub]:.3f}" for m in ("rules", "learned", "fused"))
            print(f"  {sub:<28} {vals}")
    if args.show:
        show(sets, model, knobs, args.show.split(","))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
