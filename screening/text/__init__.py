"""Text preparation for matching: one normal form for characters, and a pinyin view for homophones."""

from screening.text.normalize import normalize_text
from screening.text.pinyin import PinyinText, fuzzy_syllable, to_pinyin

__all__ = ["PinyinText", "fuzzy_syllable", "normalize_text", "to_pinyin"]
