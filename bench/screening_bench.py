"""Screening latency: per transcript update in a live session, per pre-screen, per offline transcript.

Replays every utterance of the development set as a call: partials growing two characters at a time, then the
final, each fed to a fresh session (so every update is re-scored from the start, as in a call). Prints p50/p99/max
in milliseconds. Short by design (the machine is shared): about 135 calls × ~15 updates.

    .venv/bin/python bench/screening_bench.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._replay import dev_texts, quantiles, replay  # noqa: E402
from screening.config import ScreeningConfig  # noqa: E402
from screening.engine import ScreeningEngine  # noqa: E402

DEV = ROOT / "tests" / "data" / "dev_utterances.tsv"  # the team's development set, vendored


def main() -> None:
    texts = dev_texts(DEV)
    start = time.perf_counter()
    engine = ScreeningEngine.offline(ScreeningConfig(early_threshold=1.1, early_allow=False))  # never stop early
    print(f"engine start (lexicon load + compile): {(time.perf_counter() - start) * 1e3:.1f} ms,"
          f" {len(engine.lexicon.terms)} terms, {len(engine.lexicon.constructions)} constructions")  # fmt: skip
    t = replay(engine, texts, offline=True)
    print(f"prescreen (lists+history+time) {quantiles(t.prescreen)}")
    print(f"verdict per transcript update  {quantiles(t.updates)}")
    print(f"finish (end of window)         {quantiles(t.finish)}")
    print(f"screen_transcript (offline)    {quantiles(t.offline)}")


if __name__ == "__main__":
    main()
