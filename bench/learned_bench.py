"""Learned content model cost: load time, memory, and latency per transcript update on one core.

Replays every utterance of the development set as a call (partials growing two characters at a time, then the
final), once with the rules only and once with rules + the shipped learned model, in the same run (the machine is
shared and noisy: compare the two columns, not across runs). Pinned to one CPU. ``--model DIR`` adds a third
column in the same run: rules + that model directory (an adapted one, with its centre head).

    .venv/bin/python bench/learned_bench.py [--model DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._replay import dev_texts, quantiles, replay  # noqa: E402
from screening.config import ScreeningConfig  # noqa: E402
from screening.engine import ScreeningEngine  # noqa: E402
from screening.learned.model import ContentModel, shipped_dir  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "dev_utterances.tsv"
ROUNDS = 3



def updates(engine: ScreeningEngine, texts: list[str]) -> list[float]:
    """Per transcript update, the end of the window counted as one more (as this bench always did)."""
    t = replay(engine, texts)
    return t.updates + t.finish


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, metavar="DIR", help="also measure this model directory")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts = dev_texts(DEV)
    size = sum(p.stat().st_size for p in shipped_dir().iterdir())
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t0 = time.perf_counter()
    model = ContentModel.load(shipped_dir())  # verifies checksums, reads and widens the weights
    load_s = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    held = model.weights.nbytes + model.bias.nbytes
    tracemalloc.stop()
    print(f"model {model.model_id}: {size / 1e6:.2f} MB on disk, load {load_s * 1e3:.0f} ms, "
          f"weights in memory {held / 1e6:.1f} MB, load peak {peak / 1e6:.1f} MB, "
          f"max RSS before load {rss0 / 1e3:.0f} MB")  # fmt: skip
    config = ScreeningConfig(early_threshold=1.1, early_allow=False)  # never stop early: every update is scored
    rules = ScreeningEngine.offline(config)
    fused = ScreeningEngine.offline(config, model)
    other = ContentModel.load(args.model) if args.model else None
    extra = ScreeningEngine.offline(config, other) if other is not None else None
    rule_t: list[float] = []
    fused_t: list[float] = []
    score_t: list[float] = []
    extra_t: list[float] = []
    for _ in range(ROUNDS):  # interleaved, so load on the shared machine hits all alike
        rule_t += updates(rules, texts)
        fused_t += updates(fused, texts)
        if extra is not None:
            extra_t += updates(extra, texts)
        for text in texts:
            t0 = time.perf_counter()
            model.score(text)
            score_t.append(time.perf_counter() - t0)
    print(f"rules only, per update        {quantiles(rule_t)}")
    print(f"rules + learned, per update   {quantiles(fused_t)}")
    if other is not None:
        centre = "with" if other.centre is not None else "without"
        print(f"rules + {other.model_id} ({centre} centre head), per update {quantiles(extra_t)}")
    print(f"learned score, whole utterance {quantiles(score_t)}")
    print(f"max RSS after {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")


if __name__ == "__main__":
    main()
