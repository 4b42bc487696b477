"""Write screening/text/common_words.tsv: the character pairs most often said in legitimate talk of the corpus.

    .venv/bin/python scripts/common_words.py [../shared/data/train/train.tsv]

The content rules match words by sound as well as by characters (ASR writes 变态 as 便太). A sound match that takes
the second character of an everyday word (这边太吵 → 边太 ≈ 变态, 星级标准 → 星级标 ≈ 心机婊) is two words heard across
their boundary, not a misheard insult; this list is how the matcher knows an everyday word when it sees one.
Counted over the rows of the training corpus that are neither abusive nor chit-chat (the financial enquiries, the
knowledge-grounded dialogues, the reviews without profanity), after the screening's own normalisation. Pairs that
that hold an abuse or talk word themselves are left out. Deterministic; the corpus is not committed, this list of
counts is (as the model weights are).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.lexicon import NEGATIVE, ZERO, load_lexicon  # noqa: E402
from screening.text.normalize import normalize_text  # noqa: E402

SUBTYPES = ("atec_enquiry", "kdconv_film", "kdconv_music", "kdconv_travel", "review_positive", "review_negative")
KEEP = 4000  # the commonest pairs
MIN_COUNT = 20
OUT = ROOT / "screening" / "text" / "common_words.tsv"


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "train" / "train.tsv"
    flagged = {t.text for t in load_lexicon(None).terms if t.category not in NEGATIVE and t.category not in ZERO}
    counts: Counter[str] = Counter()
    with corpus.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["subtype"] not in SUBTYPES or row["abusive"] != "0":
                continue
            text = normalize_text(row["text"])
            counts.update({text[i : i + 2] for i in range(len(text) - 1)})
    pairs = [(p, n) for p, n in counts.most_common() if n >= MIN_COUNT and all("\u4e00" <= ch <= "\u9fff" for ch in p)
             and not any(term in p for term in flagged)][:KEEP]  # fmt: skip
    lines = [
        "# Everyday character pairs (scripts/common_words.py): a match by sound that splits one of these is two words",
        "# heard across their boundary. Counted over the non-abusive enquiries, dialogues and reviews of the training",
        f"# corpus ({', '.join(SUBTYPES)}); pair<TAB>count, commonest first.",
        *(f"{p}\t{n}" for p, n in sorted(pairs, key=lambda x: (-x[1], x[0]))),
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(pairs)} pairs → {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
