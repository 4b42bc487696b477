"""Lexicon and weights files: loading, per-deployment override, and validation with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import LexiconError
from screening.lexicon import Category, MatchLevel, load_lexicon, parse_terms, parse_weights


def test_packaged_lexicon_loads_every_category_and_weight() -> None:
    lexicon = load_lexicon()
    assert {t.category for t in lexicon.terms} == set(Category)
    assert lexicon.weight("night") > 0
    assert lexicon.weight("allowlisted") < 0


def test_default_match_level_depends_on_term_length() -> None:
    terms = parse_terms("操\tswear\t0.1\n傻逼\tinsult\t0.8\n草泥马\tcurse\t0.9\nsb\tinsult\t0.8\n", "t.txt")
    assert [t.match for t in terms] == [MatchLevel.CHAR, MatchLevel.PINYIN, MatchLevel.FUZZY, MatchLevel.CHAR]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("傻逼\tinsulting\t0.8", "t.txt:1: unknown category 'insulting'"),
        ("傻逼\tinsult\tvery", "t.txt:1: weight 'very' is not a number"),
        ("傻逼\tinsult\t1.5", "t.txt:1: weight 1.5 is outside [-1, 1]"),
        ("订单\tbusiness\t0.3", "t.txt:1: category business lowers suspicion; weight 0.3 must be <= 0"),
        ("傻逼\tinsult\t-0.3", "t.txt:1: category insult raises suspicion"),
        ("客服\taddress\t0.2", "t.txt:1: category address carries no weight"),
        ("傻逼\tinsult\t0.8\tsoundex", "t.txt:1: unknown match level 'soundex'"),
        ("傻逼 insult", "t.txt:1: expected 'term category weight [match]'"),
        ("，。\tinsult\t0.5", "t.txt:1: term '，。' is empty after normalisation"),
    ],
)
def test_bad_lines_name_file_line_and_problem(line: str, message: str) -> None:
    with pytest.raises(LexiconError) as err:
        parse_terms(line + "\n", "t.txt")
    assert str(err.value).startswith(message)


def test_duplicate_terms_are_refused_with_both_lines() -> None:
    with pytest.raises(LexiconError, match=r"t.txt:3: term '傻逼' \(insult\) is already listed at t.txt:1"):
        parse_terms("傻逼\tinsult\t0.8\n\n傻逼\tinsult\t0.7\n", "t.txt")


def test_bad_weights_file() -> None:
    with pytest.raises(LexiconError, match=r"w\.txt:2: unknown weight name 'nigth'"):
        parse_weights("night 0.1\nnigth 0.2\n", "w.txt")
    with pytest.raises(LexiconError, match=r"w\.txt:1: weight 2\.0 is outside"):
        parse_weights("night 2.0\n", "w.txt")


def test_override_directory_replaces_adds_and_overrides_weights(tmp_path: Path) -> None:
    (tmp_path / "business.txt").write_text("洗车\tbusiness\t-0.4\n", encoding="utf-8")
    (tmp_path / "local.txt").write_text("臭鸡蛋\tinsult\t0.7\n", encoding="utf-8")
    (tmp_path / "weights.txt").write_text("night 0.2\n", encoding="utf-8")
    lexicon = load_lexicon(tmp_path)
    business = {t.text for t in lexicon.terms if t.category is Category.BUSINESS}
    assert business == {"洗车"}  # the packaged business words are replaced
    assert any(t.text == "臭鸡蛋" and t.source.endswith("local.txt:1") for t in lexicon.terms)
    assert lexicon.weight("night") == 0.2
    assert lexicon.weight("noon") == load_lexicon().weight("noon")


def test_override_errors_name_the_deployment_file(tmp_path: Path) -> None:
    (tmp_path / "abuse.txt").write_text("傻逼\tinsult\t0.8\n滚\tcursing\t0.5\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"abuse.txt:2: unknown category 'cursing'"):
        load_lexicon(tmp_path)
    (tmp_path / "abuse.txt").write_bytes("傻逼\tinsult\t0.8\n".encode("gbk"))
    with pytest.raises(LexiconError, match="not UTF-8"):
        load_lexicon(tmp_path)
    with pytest.raises(LexiconError, match="does not exist"):
        load_lexicon(tmp_path / "missing")
