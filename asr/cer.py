"""Character error rate: how the ASR is scored, by the benchmark and by ``callscreen transcribe --list``.

Characters, not words, because Mandarin has no spaces to count words by. Both sides are normalised first
(:func:`asr.text_norm.canonical_transcript`) and whitespace is not counted, so a word boundary the decoder put elsewhere
is not an error.
"""

from __future__ import annotations

from asr.text_norm import canonical_transcript


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings (insertions, deletions, substitutions cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _chars(text: str) -> str:
    return "".join(canonical_transcript(text).split())


def char_errors(hypothesis: str, reference: str) -> tuple[int, int]:
    """(edit distance, reference length) in characters, whitespace ignored — sum these over a corpus."""
    ref = _chars(reference)
    return edit_distance(_chars(hypothesis), ref), len(ref)


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate of one hypothesis; 0.0 for an empty reference matched by an empty hypothesis."""
    errors, length = char_errors(hypothesis, reference)
    if length == 0:
        return 0.0 if errors == 0 else 1.0
    return errors / length
