"""Labelled examples for the three heads, from the corpus, from call-style TSVs and from reviewed calls.

Every example carries up to three labels (``None`` = unknown for that head):

- ``abusive``: abusive, sexual or threatening language (the corpus's human label; a call file's subtypes
  ``insult``/``sexual``/``threat`` are 1, its other subtypes 0);
- ``business``: talks about a customer-service matter (corpus per source; a call file's ``legit`` is 1);
- ``aimed`` (the model's ``harassment`` head): abuse, sexual talk or threats *aimed at a person* — in a call, the
  listener. Call files: subtypes ``insult``/``sexual``/``threat`` are 1, everything else 0 (pranks and chit-chat are
  harassment but not aimed abuse; they are found by the business head). Corpus: COLD's attacks on an individual
  and SWSR's sexual offences are 1; attacks on groups, sexism about women in general and the swearing reviews
  (angry customers: swearing about a product, not at a person) are 0; COLD's unsplit offensive rows are unknown;
- ``offtopic``: says something with another purpose than a customer-service matter (chit-chat, assistant
  queries, social commentary, abuse) — the call-level truth ``harassment`` below, taught as a head. It is
  ``1 - business`` for whole utterances; it differs for what says nothing yet — a greeting, filler, or a sentence
  cut off before its matter — which is legit (0) and unknown to the business head
  (:func:`screening.learned.train.fillers`). That is what lets a short chit-chat query be judged while a caller cut
  off after 喂你好 is not.

And the call-level truth ``harassment`` (for figures, never a head's label): the SPEC's judgement — abuse aimed at
the agent, pranks, nonsense *and* chit-chat with no business purpose. For the corpus this is ``1 - business``:
social-media commentary, chit-chat and online abuse are not customer-service matters, reviews and enquiries are.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from screening.learned.normalize import learned_normal

HEAD_LABEL = {"abusive": "abusive", "harassment": "aimed", "business": "business", "offtopic": "harassment"}
AIMED_CORPUS: dict[str, int | None] = {"cold_offensive_individual": 1, "swsr_sexual_offence": 1, "cold_offensive": None}
# A centre's file names its kinds of harassment in its own words (threats, sexual_talk, 辱骂 …): these stems say
# "abusive language", these say "harassment without it"; a name with neither leaves the abuse heads untaught
# rather than teaching them that, say, a "menace" row is not abuse.
ABUSIVE_STEMS = ("insult", "sexual", "sex", "threat", "abus", "offens", "curse", "obscen", "swear", "profan", "menac",
                 "侮辱", "辱骂", "骂", "色情", "性骚扰", "威胁", "恐吓")  # fmt: skip
NOT_ABUSIVE_STEMS = ("chit", "chat", "offtopic", "off_topic", "prank", "nonsense", "silen", "闲聊", "恶作剧", "无关")


def abusive_subtype(subtype: str) -> int | None:
    """1 when a harassment subtype names abusive, sexual or threatening talk, 0 when it names harassment without
    it (chit-chat, pranks), None when the name says neither."""
    name = subtype.lower()
    if any(stem in name for stem in ABUSIVE_STEMS):
        return 1
    if any(stem in name for stem in NOT_ABUSIVE_STEMS):
        return 0
    return None
CALL_LABELS = frozenset({"harassment", "legit"})


class DataError(ValueError):
    """A training file cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str  # normalised
    abusive: int | None
    harassment: int | None  # call-level truth
    business: int | None
    group: str  # source family (cold, swsr, kdconv, lccc, atec, review, calls…) for leave-one-source-out
    subtype: str
    aimed: int | None = None

    def label(self, head: str) -> int | None:
        """The training label of one of the model's heads."""
        value: int | None = getattr(self, HEAD_LABEL[head])
        return value

    def with_text(self, text: str) -> Example:
        return Example(text, self.abusive, self.harassment, self.business, self.group, self.subtype, self.aimed)


def _flag(value: str) -> int | None:
    return int(value) if value in ("0", "1") else None


def source_group(subtype: str) -> str:
    return subtype.split("_", 1)[0]


def read_corpus(path: Path) -> Iterator[Example]:
    """Rows of the training corpus (``text, abusive, business, subtype, source, licence``), normalised."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = {"text", "abusive", "business", "subtype"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(sorted(missing))} in the header row")
        for row in reader:
            text = learned_normal(row["text"] or "")
            if not text:
                continue
            business = _flag(row["business"])
            harassment = None if business is None else 1 - business
            subtype = row["subtype"]
            aimed = AIMED_CORPUS.get(subtype, 0)
            yield Example(text, _flag(row["abusive"]), harassment, business, source_group(subtype), subtype, aimed)


def call_example(text: str, label: str, subtype: str, group: str) -> Example | None:
    """A call-style row (eval's format) as an example; ``None`` when the text normalises to nothing."""
    norm = learned_normal(text)
    if not norm:
        return None
    harassment = int(label == "harassment")
    if harassment:
        abusive: int | None = abusive_subtype(subtype) if subtype else None
    else:
        abusive = 0
    return Example(norm, abusive, harassment, 1 - harassment, group, subtype or label, abusive)


def read_calls(path: Path, group: str = "calls") -> list[Example]:
    """Examples from a TSV in ``eval``'s format (``text``, ``label`` = harassment|legit, optional ``subtype``)."""
    out: list[Example] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = {"text", "label"} - set(reader.fieldnames or [])
            if missing:
                raise DataError(f"{path}: missing column(s) {', '.join(sorted(missing))} in the header row")
            for row in reader:
                label = (row.get("label") or "").strip()
                if label not in CALL_LABELS:
                    raise DataError(f"{path}:{reader.line_num}: label {label!r} is not 'harassment' or 'legit'")
                example = call_example(row.get("text") or "", label, (row.get("subtype") or "").strip(), group)
                if example is not None:
                    out.append(example)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None
    return out


def calls_from_pairs(pairs: Iterable[tuple[str, str]], group: str = "reviews") -> list[Example]:
    """Examples from (text, label) pairs — the centre's reviewed calls."""
    got = (call_example(text, label, "", group) for text, label in pairs if label in CALL_LABELS)
    return [e for e in got if e is not None]


def stratified_folds(labels: Sequence[int], k: int, seed: int) -> list[int]:
    """A fold number per row, stratified by label and seeded (the same rows, the same folds)."""
    rng = random.Random(seed)
    out = [0] * len(labels)
    for label in sorted(set(labels)):
        members = [i for i, v in enumerate(labels) if v == label]
        rng.shuffle(members)
        for n, i in enumerate(members):
            out[i] = n % k
    return out
