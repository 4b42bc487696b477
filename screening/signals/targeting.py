"""Who an insult is aimed at: the agent, a product / third party, or nobody in particular.

The handbook's line between harassment and an angry customer runs here. 你 (singular) next to an insult, or an
insult next to a way of addressing the agent (客服, 美女), is abuse of the agent. An insult next to a product,
order, delivery, a thing bought (裤子, 米饭) or a third party (快递员, 师傅) is a complaint. 你们 addresses the
company, not the agent.
"""

from __future__ import annotations

import enum
import re

from screening.lexicon import Category
from screening.text.matcher import PLURAL, SECOND_PERSON, Hit

NEAR_BEFORE = 6  # characters before an insult where 你 makes it aimed at the agent (你这个贱人, 你是不是脑残)
NEAR_AFTER = 3  # … and after it (傻帽你知道…)
ADDRESS_GAP = 2  # an address word this close (弱智客服)
PRODUCT_GAP = 4  # a business word this close (垃圾产品, 质量也太垃圾)


class Target(enum.StrEnum):
    AGENT = "agent"
    PRODUCT = "product"
    SELF = "self"  # 我这个猪脑子, 我真是个傻子: a caller scolding himself
    THIRD = "third"  # 那个骗子真不是东西, 他就是个混蛋: someone else, not the agent
    UNKNOWN = "unknown"


# just before an insult: the caller about himself (我这个…, 我真是个…), or about someone who is not on the line
_SELF_BEFORE = re.compile(r"我(?:这个|真是个?|就是个?|简直是个?|是个|真|太)?$")
_THIRD_BEFORE = re.compile(r"(?:他|她|那个|那人|那家伙|这人)[^你]{0,3}$")


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
    before = text[max(0, hit.start - NEAR_BEFORE) : hit.start]
    if _SELF_BEFORE.search(before):
        return Target.SELF
    if _THIRD_BEFORE.search(before):
        return Target.THIRD
    if singular_you(text, 0, len(text)):
        return Target.AGENT
    return Target.UNKNOWN
