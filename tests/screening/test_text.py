"""Normal form and pinyin view of transcript text."""

from __future__ import annotations

from screening.text import PinyinText, fuzzy_syllable, normalize_text, to_pinyin


def test_traditional_full_width_and_punctuation_are_normalised() -> None:
    assert normalize_text("你這個 賤人，給我閉嘴！") == "你这个贱人给我闭嘴"
    assert normalize_text("ＳＢ客服") == "sb客服"


def test_pinyin_has_one_syllable_per_character_including_latin_and_digits() -> None:
    text = "你sb客服12"
    assert len(to_pinyin(text)) == len(text)


def test_fuzzy_syllables_merge_dialect_confusions() -> None:
    assert fuzzy_syllable("shi") == fuzzy_syllable("si")
    assert fuzzy_syllable("ling") == fuzzy_syllable("nin")
    assert fuzzy_syllable("zhang") == fuzzy_syllable("zan")
    assert fuzzy_syllable("ba") != fuzzy_syllable("pa")


def test_pinyin_search_maps_back_to_character_positions() -> None:
    view = PinyinText.of("你个沙比听到没有")
    assert view.find_all(("sha", "bi"), fuzzy=False) == [2]
    assert view.find_all(("bi",), fuzzy=False) == [3]  # whole syllables only: no match inside "bian"


def test_text_package_exports_exactly_its_public_names() -> None:
    import screening.text

    assert sorted(screening.text.__all__) == ["PinyinText", "fuzzy_syllable", "normalize_text", "to_pinyin"]


def test_a_doubled_particle_is_read_le_not_as_the_phrase_liao_liao() -> None:
    """ASR doubles 了 (成了了帮凶); pypinyin reads 了了 as the phrase liǎoliǎo, which sounded like 聊聊 (chat)."""
    from screening.text.pinyin import PinyinText

    assert PinyinText.of("成了了帮凶").plain == ("cheng", "le", "le", "bang", "xiong")
    assert PinyinText.of("我了解").plain[1] == "liao"  # 了解 keeps its reading
    assert PinyinText.of("聊聊").plain == ("liao", "liao")
