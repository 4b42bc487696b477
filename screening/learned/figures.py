"""Precision, recall and F1 from a harassment confusion count, as every report of this project prints them.

One formula for ``callscreen eval``'s report and the build's validation figures (and any counter that adds its own
fields around the same three numbers), so that the figures two commands print for the same rows cannot disagree
in how they treat an empty class or how far they round.
"""

from __future__ import annotations

PLACES = 4  # what every report rounds precision, recall and F1 to


def precision_recall_f1(tp: int, fp: int, fn: int) -> dict[str, float]:
    """``{"precision", "recall", "f1"}`` rounded to :data:`PLACES`; 0 where a ratio has nothing to divide by (no
    row flagged, or no harassment in the set) rather than an error or NaN in a JSON report."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, PLACES), "recall": round(recall, PLACES), "f1": round(f1, PLACES)}
