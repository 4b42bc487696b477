"""`callscreen train`: build a learned content model directory — adapt the shipped model to a centre's own
labelled rows, or retrain from a corpus — print its validation figures and write it with card and checksums.

- ``callscreen train FILE.tsv ... --out DIR``: adapt the model in use (``--model``, else ``screening.model_dir``,
  else the shipped one) to the rows (``eval``'s format: ``text``, ``label`` = harassment|legit, optional ``id``,
  ``subtype``). A centre does not have the base corpus; it does not need it.
- ``--from-reviews``: add the centre's reviewed calls from the database (agent confirmations, manager reviews).
- ``--corpus PATH``: retrain from scratch on the corpus (``text, abusive, business, subtype, ...``) plus the
  committed call-style examples plus the files.

Figures: the heads on held-out rows, and for an adaptation the full screening (rules + learned, fused) on the
held-out fifth with the base model, the adapted heads alone and the adapted, calibrated model (its thresholds and
fusion knobs cross-validated on the other rows, :mod:`screening.learned.calibrate`), so a centre sees what the
new directory changes before it sets ``screening.model_dir``. Exit 2 for bad input, naming the file and line.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from callscreen.settings import Settings
from screening.errors import LexiconError
from screening.learned.data import DataError, Example, calls_from_pairs, read_calls
from screening.learned.model import ContentModel, ModelError, load_scorer

EXIT_BAD_INPUT = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("train", help="adapt or retrain the learned content model; writes a model directory")
    parser.add_argument("files", nargs="*", type=Path, help="labelled TSVs in eval's format (text, label[, subtype])")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="model directory to write")
    parser.add_argument("--corpus", type=Path, action="append", default=[], metavar="PATH",
                        help="retrain from scratch on this corpus TSV (repeatable)")  # fmt: skip
    parser.add_argument("--from-reviews", action="store_true", help="add the reviewed calls from the database")
    parser.add_argument("--model", type=Path, metavar="DIR", help="the model to adapt (default: the one in use)")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object")
    parser.set_defaults(func=run)


def _gather(args: argparse.Namespace, settings: Settings) -> list[Example]:
    rows: list[Example] = []
    for path in args.files:
        rows.extend(read_calls(path, group=path.stem))
    if args.from_reviews:
        from callscreen.records_setup import records_session  # the database only when asked for
        from records.training import reviewed_rows

        with records_session(settings) as session:
            rows.extend(calls_from_pairs(reviewed_rows(session)))
    return rows


def run(args: argparse.Namespace, settings: Settings) -> int:
    from screening.learned.build import adapt, build_from_corpus  # scikit-learn only for this command

    command = "callscreen train " + shlex.join(sys.argv[2:] if sys.argv[1:2] == ["train"] else sys.argv[1:])
    try:
        rows = _gather(args, settings)
        if args.corpus:
            model, report = build_from_corpus(args.corpus, args.files, args.out, command=command)
        else:
            if not rows:
                raise DataError("nothing to learn from: give labelled files, --from-reviews or --corpus")
            base = load_scorer(settings.screening.model_copy(update={"learned": True}), args.model)
            if base is None:  # pragma: no cover - learned forced on above
                raise ModelError("no base model")
            model, report = adapt(base, rows, args.out, command=command, config=settings.screening)
    except (DataError, ModelError, LexiconError) as exc:
        sys.stderr.write(f"callscreen train: {exc}\n")
        return EXIT_BAD_INPUT
    sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n" if args.json else _human(report, model))
    return 0


def _line(name: str, f: dict[str, Any]) -> str:
    return f"  {name:<26} n={f['n']:<6} precision {f['precision']:.3f}  recall {f['recall']:.3f}  f1 {f['f1']:.3f}"


def _human(report: dict[str, Any], model: ContentModel) -> str:
    lines = [f"wrote {report['out']}  model {model.model_id}"]
    for name, figures in report.get("validation", {}).items():
        lines.append(_line(name, figures))
    for title in ("held_out", "held_out_fused"):
        for name, figures in report.get(title, {}).items():
            lines.append(_line(f"{title} {name}", figures))
    calibration = report.get("calibration")
    if calibration:
        chosen = calibration["chosen"]
        shown = chosen if chosen == "base" else f"fit {calibration['strength']}, " + ", ".join(
            f"{k} {v:g}" for k, v in chosen.items())
        lines.append(f"  calibration (cross-validated on the rows): {shown}")
    if "centre_head" in report:
        head = report["centre_head"]
        lines.append("  centre head: not written (out of fold it gained nothing)" if head is None else
                     f"  centre head: written, fitted on {head['rows']} rows (C {head['c']:g}), weighs "
                     f"{head['learned_centre_up']:g} towards harassment, {head['learned_centre_down']:g} towards "
                     "legitimate")  # fmt: skip
    lines.append(f"use it: callscreen eval FILE.tsv --model {report['out']}  (or set screening.model_dir)")
    return "\n".join(lines) + "\n"
