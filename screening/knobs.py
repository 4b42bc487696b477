"""The one table of the judgement's knobs: every weight and constant a signal or the fusion reads.

Values live in ``screening/data/weights.txt`` (``name value`` per line, a deployment's lexicon directory may
override single names); this module declares which names exist, what range each accepts and why it is there.
:func:`screening.lexicon.parse_weights` checks a file against this table and names file and line of a bad entry,
so a typo fails at start-up instead of during a call. What a deployment sets per site (thresholds, time windows,
listening time, mode) is settings, validated by :class:`screening.config.ScreeningConfig`; what tunes the
judgement itself is here.

Number lists: each :class:`~screening.numberlist.ListName` has a knob named like the list's reason
(``blocklisted``, ``allowlisted``, ``payphone`` …). A list added to the vocabulary without a knob is counted with
weight 0 and logged (see :meth:`screening.lexicon.Lexicon.list_weight`) — never a KeyError in pre-screening.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Knob:
    name: str
    low: float
    high: float
    why: str


WEIGHT = (-1.0, 1.0)  # a reason's contribution to the score
SHARE = (0.0, 1.0)  # a share, a probability or a cap on a score
COUNT = (0.0, 1000.0)  # a number of characters


def _table(*rows: tuple[str, tuple[float, float], str]) -> dict[str, Knob]:
    return {name: Knob(name, bounds[0], bounds[1], why) for name, bounds, why in rows}


KNOBS: dict[str, Knob] = _table(
    # content rules
    ("insult_unknown_target", WEIGHT, "factor for an insult with no 你/客服 next to it"),
    ("insult_product_target", WEIGHT, "factor for an insult next to a product, order or third party"),
    ("complaint_context", WEIGHT, "swearing inside a real complaint"),
    ("complaint_abuse_cap", SHARE, "abuse (rules and learned together) is capped here when there is business intent"),
    ("business_floor", WEIGHT, "the business words together never pull the score below this"),
    ("no_business", WEIGHT, "the whole window passed with nothing about the business"),
    ("no_business_with_intent", WEIGHT, "…while saying things with another purpose"),
    ("no_business_after_steering", WEIGHT, "…and the caller ignored the agent's steering question"),
    ("repetition", WEIGHT, "nonsense syllables repeated"),
    ("repetition_only", WEIGHT, "…making up most of what was said"),
    ("counting", WEIGHT, "counting out loud"),
    ("category_cap", SHARE, "one content category never contributes more than this"),
    ("intent_min", SHARE, "talk with another purpose counts as intent from this weight on"),
    ("business_min", SHARE, "business words count as talk about the business from this (negated) weight on"),
    ("nonsense_share", SHARE, "repeated syllables making up this share of the text are all the caller said"),
    # learned content models
    # (each reason weighs knob × probability; the thresholds are the model's own, from its manifest, and these
    # ``*_min``/``*_max`` values only stand in for a model that ships none)
    ("learned_abuse", WEIGHT, "weight of the abusive-language head at probability 1"),
    ("learned_abuse_min", SHARE, "abusive-language probability from which it gives a reason"),
    ("learned_harassment", WEIGHT, "weight of the aimed-harassment head at probability 1"),
    ("learned_harassment_min", SHARE, "aimed-harassment probability from which it gives a reason"),
    ("learned_business", WEIGHT, "weight of the business-intent head at probability 1 (negative)"),
    ("learned_business_min", SHARE, "business-intent probability from which the caller talks business"),
    ("learned_no_business", WEIGHT, "weight when the business-intent head sees none over a whole window"),
    ("learned_no_business_max", SHARE, "business-intent probability below which a finished window has none"),
    ("learned_offtopic_min", SHARE, "another-purpose probability a window needs before its 'no business' counts"),
    ("learned_no_business_veto", SHARE, "rules' business words weighing this much (negated) overrule the model's none"),
    ("learned_guard_veto", SHARE, "…and this much make the complaint guard apply although the model heard none"),
    ("learned_centre_up", SHARE, "weight of the centre head (an adapted model's own judgement) towards harassment"),
    ("learned_centre_down", SHARE, "…and towards legitimate: how far it may clear what the base would flag"),
    ("learned_min_chars", COUNT, "shorter transcripts (early partials) are not scored by the learned models"),
    # speech statistics
    ("silence", WEIGHT, "nothing said over the listening window"),
    ("open_line", WEIGHT, "almost nothing said, long silences"),
    ("open_line_ratio", SHARE, "an open line has less than this share of the window as speech …"),
    ("open_line_silence_share", SHARE, "… and its longest silence covers this share of the window"),
    # caller ID
    ("blocklisted", WEIGHT, "the caller is on the block list"),
    ("allowlisted", WEIGHT, "the caller is on the allow list"),
    ("payphone", WEIGHT, "the caller is in a public-phone range"),
    ("switchboard", WEIGHT, "the caller is in an organisation's switchboard range"),
    ("anonymous", WEIGHT, "caller ID withheld"),
    ("repeat", WEIGHT, "repeat caller"),
    ("prefix_burst", WEIGHT, "burst of calls from one number range"),
    ("agent_confirmed", WEIGHT, "agents confirmed harassment from this number recently"),
    # time
    ("night", WEIGHT, "call in the night window"),
    ("noon", WEIGHT, "call in the noon window"),
)
