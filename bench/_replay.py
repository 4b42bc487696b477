"""One replay of the development set as calls, timed per step — shared by the screening and learned-model benches.

Each utterance becomes a call: pre-screen, a fresh session fed partials growing :data:`STEP_CHARS` characters at a
time, the final, the end of the window (and, for the screening bench, the same text screened offline). One loop
for both benches, so their "per transcript update" figures measure the same thing.
"""

from __future__ import annotations

import csv
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from asr.events import AsrFinal, AsrPartial
from numbering import normalize
from screening.engine import ScreeningEngine
from screening.interfaces import CallContext

AT = datetime(2026, 11, 23, 12, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
STEP_CHARS = 2


@dataclass
class Timings:
    """Seconds per step, one entry per call (prescreen, finish, offline) or per transcript update."""

    prescreen: list[float] = field(default_factory=list)
    updates: list[float] = field(default_factory=list)
    finish: list[float] = field(default_factory=list)
    offline: list[float] = field(default_factory=list)


def dev_texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [row["text"] for row in csv.DictReader(fh, delimiter="\t")]


def replay(engine: ScreeningEngine, texts: list[str], *, offline: bool = False) -> Timings:
    out = Timings()
    for i, text in enumerate(texts):
        ctx = CallContext(call_id=f"b{i}", caller=normalize(f"1381234{i:04d}"), at=AT)
        t0 = time.perf_counter()
        pre = engine.prescreen(ctx)
        out.prescreen.append(time.perf_counter() - t0)
        session = engine.open_session(ctx, pre)
        for end in range(STEP_CHARS, len(text), STEP_CHARS):
            t0 = time.perf_counter()
            session.on_asr(AsrPartial(text[:end], end * 0.25))
            out.updates.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        session.on_asr(AsrFinal(text, 0.2, len(text) * 0.25, (), 0.9))
        out.updates.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        session.finish(8.0)
        out.finish.append(time.perf_counter() - t0)
        if offline:
            t0 = time.perf_counter()
            engine.screen_transcript(text, ctx.caller, AT)
            out.offline.append(time.perf_counter() - t0)
    return out


def quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"n={len(ordered):5d}  p50={statistics.median(ordered) * 1e3:6.3f} ms  p99={p99 * 1e3:6.3f} ms  "
            f"max={ordered[-1] * 1e3:6.3f} ms")  # fmt: skip
