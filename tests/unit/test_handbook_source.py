"""The handbook file format: sections, ids, warnings and refusals."""

import pytest

from bot.handbook.source import HandbookError, parse_markdown, stable_id


def test_section_without_id_gets_stable_id_and_warning():
    book = parse_markdown("# 手册\n## 一\n### 怎么请假\n找导学教师。\n")
    assert book.units[0].id == stable_id("怎么请假") and "no {#id}" in book.warnings[0]


def test_duplicate_ids_are_refused_with_line():
    with pytest.raises(HandbookError, match=r"line 5: duplicate section id 'a'"):
        parse_markdown("# 手册\n### 一 {#a}\n文字\n\n### 二 {#a}\n文字\n")


def test_empty_handbook_is_refused():
    with pytest.raises(HandbookError, match="no answerable sections"):
        parse_markdown("# 空手册\n\n只有前言。\n")
