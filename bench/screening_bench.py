"""Screening latency: per transcript update in a live session, per pre-screen, per offline transcript.

Replays every utterance of the development set as a call: partials growing two characters at a time, then the
final, each fed to a fresh session (so every update is re-scored from the start, as in a call). Prints p50/p99/max
in milliseconds. Short by design (the machine is shared): about 135 calls × ~15 updates.

    .venv/bin/python bench/screening_bench.py
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asr.events import AsrFinal, AsrPartial  # noqa: E402
from numbering import normalize  # noqa: E402
from screening.config import ScreeningConfig  # noqa: E402
from screening.engine import ScreeningEngine  # noqa: E402
from screening.interfaces import CallContext  # noqa: E402

DEV = ROOT / "tests" / "data" / "dev_utterances.tsv"  # the team's development set, vendored
AT = datetime(2026, 11, 23, 12, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
STEP_CHARS = 2


def quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"n={len(ordered):5d}  p50={statistics.median(ordered) * 1e3:6.3f} ms  p99={p99 * 1e3:6.3f} ms  "
            f"max={ordered[-1] * 1e3:6.3f} ms")  # fmt: skip


def main() -> None:
    texts = [row["text"] for row in csv.DictReader(DEV.open(encoding="utf-8"), delimiter="\t")]
    start = time.perf_counter()
    engine = ScreeningEngine.offline(ScreeningConfig(early_threshold=1.1, early_allow=False))  # never stop early
    print(f"engine start (lexicon load + compile): {(time.perf_counter() - start) * 1e3:.1f} ms,"
          f" {len(engine.lexicon.terms)} terms, {len(engine.lexicon.constructions)} constructions")  # fmt: skip
    updates: list[float] = []
    prescreens: list[float] = []
    finishes: list[float] = []
    offline: list[float] = []
    for i, text in enumerate(texts):
        ctx = CallContext(call_id=f"b{i}", caller=normalize(f"1381234{i:04d}"), at=AT)
        t0 = time.perf_counter()
        pre = engine.prescreen(ctx)
        prescreens.append(time.perf_counter() - t0)
        session = engine.open_session(ctx, pre)
        for end in range(STEP_CHARS, len(text), STEP_CHARS):
            t0 = time.perf_counter()
            session.on_asr(AsrPartial(text[:end], end * 0.25))
            updates.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        session.on_asr(AsrFinal(text, 0.2, len(text) * 0.25, (), 0.9))
        updates.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        session.finish(8.0)
        finishes.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine.screen_transcript(text, ctx.caller, AT)
        offline.append(time.perf_counter() - t0)
    print(f"prescreen (lists+history+time) {quantiles(prescreens)}")
    print(f"verdict per transcript update  {quantiles(updates)}")
    print(f"finish (end of window)         {quantiles(finishes)}")
    print(f"screen_transcript (offline)    {quantiles(offline)}")


if __name__ == "__main__":
    main()
