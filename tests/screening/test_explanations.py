"""Every harassment verdict explains itself with at least one content or caller-ID signal and its evidence."""

from __future__ import annotations

import csv
from pathlib import Path

from numbering import normalize
from screening.engine import ScreeningEngine
from screening.verdict import Label, SignalKind
from tests.conftest import DEV_UTTERANCES, REPO
from tests.screening.conftest import NIGHT

DATA = [
    DEV_UTTERANCES,
    REPO / "tests" / "data" / "screening" / "extra_utterances.tsv",
    REPO / "tests" / "data" / "screening" / "heldout_utterances.tsv",
    REPO / "tests" / "data" / "screening" / "heldout2_utterances.tsv",
]


def texts() -> list[str]:
    rows: list[str] = []
    for path in DATA:  # all in the repository: a missing file is an error, not fewer rows
        with Path(path).open(encoding="utf-8") as fh:
            rows.extend(row["text"] for row in csv.DictReader(fh, delimiter="\t"))
    return rows


def test_every_harassment_verdict_lists_content_or_caller_evidence(engine: ScreeningEngine) -> None:
    checked = 0
    for text in texts():
        for caller, at in ((None, None), (normalize("anonymous"), NIGHT)):
            verdict = engine.screen_transcript(text, caller, at)
            assert abs(verdict.score - max(0.0, min(1.0, sum(r.weight for r in verdict.reasons)))) < 0.01
            if verdict.label is not Label.HARASSMENT:
                continue
            checked += 1
            backing = [
                r for r in verdict.reasons
                if r.kind in (SignalKind.CONTENT, SignalKind.CALLER_ID) and r.weight > 0 and r.evidence
            ]  # fmt: skip
            assert backing, (text, verdict)
            assert verdict.summary().startswith("harassment;score=")
    assert checked > 100
