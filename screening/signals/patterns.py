"""Nonsense that no word list can enumerate: syllables repeated on and on, and counting out loud.

Fillers and laughter are left out here (喂喂喂 is a bad line, not a prank; laughter is in the lexicon as mocking),
and so are digits, because order and phone numbers repeat digits.
"""

from __future__ import annotations

import re

FILLERS = frozenset("喂嗯哦噢呃额对好是行哈嘿嘻呵谢拜再见快等没不")  # politeness, assent, hurry: not nonsense
NUMERALS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
MIN_REPEATS_SINGLE = 4  # 啊啊啊啊
MIN_REPEATS_UNIT = 3  # 阿巴阿巴阿巴, 叽里呱啦×3 (units of two to four characters)
MIN_COUNTING_RUN = 6  # 一二三四五六
_SINGLE_RE = re.compile(r"(.)\1{" + str(MIN_REPEATS_SINGLE - 1) + ",}")
_UNIT_RE = re.compile(r"(.{2,4}?)\1{" + str(MIN_REPEATS_UNIT - 1) + ",}")


def _filler(ch: str) -> bool:
    return ch in FILLERS or ch in NUMERALS or ch.isdigit()


def _meaningful(unit: str) -> bool:
    """A unit worth counting: no fillers or digits, and not one character repeated (that is the single rule)."""
    return not any(_filler(ch) for ch in unit) and len(set(unit)) > 1


def repetitions(text: str) -> list[str]:
    """Runs like 阿巴阿巴阿巴, 叽里呱啦叽里呱啦叽里呱啦 or 啊啊啊啊 (the runs themselves, for evidence)."""
    runs = [m.group(0) for m in _SINGLE_RE.finditer(text) if not _filler(m.group(1))]
    runs += [m.group(0) for m in _UNIT_RE.finditer(text) if _meaningful(m.group(1))]
    return runs


DIGITS = "零一二三四五六七八九"
MIN_COUNTED_NUMBERS = 4  # 一百九十九一百九十八一百九十七一百九十六
MAX_NUMBER_CHARS = 5  # 九百九十九


def spoken_number(n: int) -> str:
    """How a number from 1 to 999 is said (一百零五, 十二, 三十): counting out loud uses exactly these forms."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    out = DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else DIGITS[tens]) + "十"
    elif hundreds and units:
        out += "零"
    return out + (DIGITS[units] if units else "")


_SPOKEN = {spoken_number(n): n for n in range(10, 1000)}  # from 十 up: the single digits are the rule above


def counted_numbers(text: str) -> list[str]:
    """Runs of numbers of two or more digits said one after another, up or down by one, at least four long."""
    runs: list[str] = []
    pos = 0
    while pos < len(text):
        best = pos
        for size in range(1, MAX_NUMBER_CHARS + 1):
            value = _SPOKEN.get(text[pos : pos + size])
            if value is None:
                continue
            for step in (1, -1):
                end, count, current = pos + size, 1, value
                while 0 < current + step < 1000 and text.startswith(spoken_number(current + step), end):
                    current += step
                    end += len(spoken_number(current))
                    count += 1
                if count >= MIN_COUNTED_NUMBERS and end > best:
                    best = end
        if best > pos:
            runs.append(text[pos:best])
            pos = best
        else:
            pos += 1
    return runs


DIGIT_WORDS = frozenset("零〇一幺二两三四五六七八九")  # the digits as read out, 幺 and 两 included
MIN_NUMBER_GIVEN = 7  # a phone number (11), a landline (7–8), an order, card or ID number
MIN_NUMBER_NAMED = 4  # …or the last digits of one, where the text names a number (尾号是三三八九)
NUMBER_WORDS = ("号码", "电话", "手机", "尾号", "卡号", "单号", "账号", "编号", "工号", "后四位", "后六位", "验证码")


def numbers_given(text: str) -> list[tuple[int, int]]:
    """Spans of a number read out digit by digit (一三八零零一三八零零零): at least :data:`MIN_NUMBER_GIVEN` digits,
    and not a count (一二三四五六七八九 said one after another is what :func:`counting_runs` is for); where the text
    names a number (:data:`NUMBER_WORDS`: 尾号是三三八九), :data:`MIN_NUMBER_NAMED` digits. Inside such a span 三八
    or 二五零 is digits of someone's number, not an insult, and 一二三四五六 in the middle of one is part of it."""
    least = MIN_NUMBER_NAMED if any(word in text for word in NUMBER_WORDS) else MIN_NUMBER_GIVEN
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        if text[start] not in DIGIT_WORDS:
            start += 1
            continue
        end = start
        while end < len(text) and text[end] in DIGIT_WORDS:
            end += 1
        run = text[start:end]
        if end - start >= least and counting_runs(run) != [run]:
            spans.append((start, end))
        start = end
    return spans


def counting_runs(text: str) -> list[str]:
    """Runs of numerals that go up or down one at a time (一二三四五六七), at least six long."""
    runs: list[str] = []
    start = 0
    while start < len(text):
        end = start + 1
        step = 0
        while end < len(text) and text[end] in NUMERALS and text[end - 1] in NUMERALS:
            diff = NUMERALS[text[end]] - NUMERALS[text[end - 1]]
            if diff not in (1, -1) or (step and diff != step):
                break
            step = diff
            end += 1
        if end - start >= MIN_COUNTING_RUN:
            runs.append(text[start:end])
            start = end
        else:
            start += 1
    return runs + counted_numbers(text)
