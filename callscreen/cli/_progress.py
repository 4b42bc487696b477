"""Progress bars (tqdm, on stderr) for long imports and exports: one bar per stage the records layer reports.

The records layer never prints; it calls a :data:`records.csv_input.Progress` callback with ``(stage, done,
total)``. Bars show only on a terminal (tqdm's own check) unless forced off with ``--no-progress``, so scripts,
cron and CI logs stay clean.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import NoReturn

from tqdm import tqdm


class ProgressBars:
    def __init__(self, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self._bars: dict[str, tqdm[NoReturn]] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._bars:
            self._bars[stage] = tqdm(total=total, desc=stage, unit=" rows", unit_scale=True, file=sys.stderr,
                                     leave=True, disable=None if self._enabled else True)  # fmt: skip
        bar = self._bars[stage]
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def __enter__(self) -> ProgressBars:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for bar in self._bars.values():
            bar.close()
