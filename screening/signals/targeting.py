"""Who an insult is aimed at: the agent, a product / third party, or nobody in particular.

The handbook's line between harassment and an angry customer runs here. 你 (singular) next to an insult, or an
insult next to a way of addressing the agent (客服, 美女), is abuse of the agent. An insult next to a product,
order, delivery, a thing bought (裤子, 米饭) or a third party (快递员, 师傅) is a complaint. 你们 addresses the
company, not the agent.
"""

from __future__ import annotations

import enum

from screening.lexicon import Category
from screening.text.matcher import PLURAL, SECOND_PERSON, Hit

NEAR_BEFORE = 6  # characters before an insult where 你 makes it aimed at the agent (你这个贱人, 你是不是脑残)
NEAR_AFTER = 3  # … and after it (傻帽你知道…)
ADDRESS_GAP = 2  # an address word this close (弱智客服)
PRODUCT_GAP = 4  # a business word this close (垃圾产品, 质量也太垃圾)


class Target(enum.StrEnum):
    AGENT = "agent"
    PRODUCT = "product"
    UNKNOWN = "unknown"


def singular_you(text: str, start: int, end: int) -> bool:
    """Is there a 你 that is not 你们 in ``text[start:end]``?"""
    lo, hi = max(0, start), min(len(text), end)
    return any(text[i] == SECOND_PERSON and text[i + 1 : i + 2] != PLURAL for i in range(lo, hi))


def _near(hit: Hit, others: list[Hit], categories: frozenset[Category], gap: int) -> bool:
    return any(
        o.term.category in categories and o.start <= hit.end + gap and o.end >= hit.start - gap and o is not hit
        for o in others
    )


def target_of(hit: Hit, text: str, hits: list[Hit]) -> Target:
    if singular_you(text, hit.start - NEAR_BEFORE, hit.start) or singular_you(text, hit.end, hit.end + NEAR_AFTER):
        return Target.AGENT
    if _near(hit, hits, frozenset({Category.ADDRESS}), ADDRESS_GAP):
        return Target.AGENT
    if _near(hit, hits, frozenset({Category.BUSINESS, Category.COMPLAINT, Category.PRODUCT}), PRODUCT_GAP):
        return Target.PRODUCT
    if singular_you(text, 0, len(text)):
        return Target.AGENT
    return Target.UNKNOWN
