"""`callscreen eval`: screen every row of a labelled TSV as a transcript and report how well it went.

Input: UTF-8, tab-separated, a header row; required columns ``text`` and ``label`` (``harassment`` / ``legit``),
optional ``id``, ``caller``, ``at`` (ISO 8601) and ``subtype``. A bad row stops the run with its line number
(exit 2) rather than silently skewing the figures. Precision, recall and F1 are for the ``harassment`` verdict;
``suspect`` counts as not harassment, and its share of all rows is reported on its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from callscreen.settings import Settings
from numbering import normalize
from screening.engine import ScreeningEngine
from screening.errors import LexiconError
from screening.learned.figures import PLACES, precision_recall_f1
from screening.learned.model import ModelError, load_scorer
from screening.verdict import Label, Verdict

EXIT_BAD_INPUT = 2
LABELS = frozenset({"harassment", "legit"})
PROGRESS_MIN_ROWS = 200


class EvalInputError(ValueError):
    """The TSV cannot be evaluated; the message names the file and line."""


def _empty_counts() -> dict[str, int]:
    return {"n": 0, "harassment": 0}


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    suspect: int = 0
    by_subtype: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(_empty_counts))

    def add(self, label: str, verdict: Verdict, subtype: str | None) -> None:
        flagged = verdict.label is Label.HARASSMENT
        truth = label == "harassment"
        self.tp += flagged and truth
        self.fp += flagged and not truth
        self.fn += truth and not flagged
        self.tn += not truth and not flagged
        self.suspect += verdict.label is Label.SUSPECT
        if subtype is not None:
            self.by_subtype[subtype]["n"] += 1
            self.by_subtype[subtype]["harassment"] += flagged

    def report(self) -> dict[str, Any]:
        n = self.tp + self.fp + self.tn + self.fn
        return {
            "n": n, **precision_recall_f1(self.tp, self.fp, self.fn),
            "tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn,
            "suspect": round(self.suspect / n, PLACES) if n else 0.0,
            "by_subtype": {k: dict(v) for k, v in sorted(self.by_subtype.items())},
        }  # fmt: skip


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("eval", help="evaluate screening on a labelled TSV of transcripts")
    parser.add_argument("file", type=Path, help="UTF-8 TSV with header: text, label [, id, caller, at, subtype]")
    parser.add_argument("--model", type=Path, metavar="DIR",
                        help="learned model directory (default: screening.model_dir, else the shipped model)")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object")
    parser.add_argument("--predictions", type=Path, metavar="OUT.tsv", help="write one prediction per row here")
    parser.set_defaults(func=run)


def read_rows(path: Path) -> tuple[list[dict[str, str]], bool]:
    """Rows of the TSV (line numbers kept under ``_line``) and whether it has a ``subtype`` column."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            columns = reader.fieldnames or []
            missing = {"text", "label"} - set(columns)
            if missing:
                raise EvalInputError(f"{path}: missing column(s) {', '.join(sorted(missing))} in the header row")
            rows = []
            for row in reader:
                line = reader.line_num
                label = (row.get("label") or "").strip()
                if label not in LABELS:
                    raise EvalInputError(f"{path}:{line}: label {label!r} is not 'harassment' or 'legit'")
                rows.append({k: (v or "").strip() for k, v in row.items() if k is not None} | {"_line": str(line)})
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{path}: not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise EvalInputError(f"{path}: cannot be read ({exc.strerror})") from None
    return rows, "subtype" in columns


def _at(row: dict[str, str], path: Path) -> datetime | None:
    if not row.get("at"):
        return None
    try:
        moment = datetime.fromisoformat(row["at"])
    except ValueError:
        raise EvalInputError(f"{path}:{row['_line']}: 'at' value {row['at']!r} is not ISO 8601") from None
    if moment.tzinfo is None:
        raise EvalInputError(f"{path}:{row['_line']}: 'at' value {row['at']!r} has no time zone offset")
    return moment


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        engine = ScreeningEngine.offline(settings.screening, load_scorer(settings.screening, args.model))
        rows, has_subtype = read_rows(args.file)
        if not rows:
            raise EvalInputError(f"{args.file}: no rows after the header")
        tally = Tally()
        predictions: list[str] = ["id\tlabel\tverdict\tscore\treasons\ttext"]
        quiet = len(rows) < PROGRESS_MIN_ROWS
        for row in tqdm(rows, desc="eval", unit="row", file=sys.stderr, disable=True if quiet else None):
            caller = normalize(row["caller"]) if row.get("caller") else None
            verdict = engine.screen_transcript(row["text"], caller, _at(row, args.file))
            tally.add(row["label"], verdict, row.get("subtype") or "(none)" if has_subtype else None)
            codes = ",".join(r.code for r in verdict.reasons)
            predictions.append(
                f"{row.get('id', row['_line'])}\t{row['label']}\t{verdict.label.value}\t{verdict.score:.3f}\t{codes}\t"
                f"{row['text']}"
            )
    except (EvalInputError, LexiconError, ModelError) as exc:
        sys.stderr.write(f"callscreen eval: {exc}\n")
        return EXIT_BAD_INPUT
    if args.predictions is not None:
        args.predictions.write_text("\n".join(predictions) + "\n", encoding="utf-8")
    report = tally.report()
    sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n" if args.json else _human(report))
    return 0


def _human(report: dict[str, Any]) -> str:
    lines = [
        f"rows {report['n']}  precision {report['precision']:.3f}  recall {report['recall']:.3f}  "
        f"f1 {report['f1']:.3f}",
        f"confusion  tp {report['tp']}  fp {report['fp']}  tn {report['tn']}  fn {report['fn']}  "
        f"suspect share {report['suspect']:.1%}",
    ]
    for name, counts in report["by_subtype"].items():
        lines.append(f"  {name:<20} n={counts['n']:<4} harassment={counts['harassment']}")
    return "\n".join(lines) + "\n"
