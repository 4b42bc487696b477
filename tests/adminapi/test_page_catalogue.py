"""The page's message catalogue is complete: every text the page asks for exists in Chinese and in English."""

from __future__ import annotations

import re

from adminapi.app import STATIC_DIR


def _catalogue(language: str) -> set[str]:
    source = (STATIC_DIR / "i18n.js").read_text(encoding="utf-8")
    start = source.index(f'  {language}: {{' if language == "en" else f'  "{language}": {{')
    end = source.index("\n  },", start)
    return set(re.findall(r'"([a-zA-Z]+\.[a-zA-Z_]+|weekday)":', source[start:end]))


def test_every_key_the_page_uses_is_in_both_languages() -> None:
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n(?:-placeholder)?="([^"]+)"', html))
    used |= set(re.findall(r'\bt\("([^"]+)"', script))
    groups = set(re.findall(r'\btv\("(\w+)"', script))
    enums = dict(re.findall(r"^  (\w+): \[([^\]]+)\]", script, flags=re.M))
    for group in groups - {"outcome", "source", "direction"}:
        used |= {f"{group}.{v}" for v in re.findall(r'"(\w+)"', enums[group])}
    used |= {"outcome.confirmed", "outcome.overturned", "source.auto", "source.agent", "source.manager",
             "direction.stricter", "direction.lenient"}
    zh, en = _catalogue("zh-CN"), _catalogue("en")
    assert len(used) > 150
    assert used - zh == set()
    assert used - en == set()
    assert zh == en  # no text only one language has
