"""Name search keys: surnames read our way, every suffix, prefix search by index range."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hongxia.core.pinyin import (
    MAX_COMBINATIONS,
    SURNAME_READINGS,
    name_initials,
    name_pinyin,
    name_search_keys,
    normalize_query,
    prefix_upper_bound,
)

HYPOTHESIS = settings(database=None)


def found(name: str, query: str) -> bool:
    """What the database does: a prefix match of the folded query against any key."""
    q = normalize_query(query)
    return any(key.startswith(q) for key in name_search_keys(name))


def test_zeng_guofan() -> None:
    keys = name_search_keys("曾国藩")
    assert {"zengguofan", "zgf", "guofan", "国藩", "曾国藩", "藩", "fan", "gf", "f"} <= keys
    # the reading pypinyin gives is indexed too: users may type either
    assert {"cengguofan", "cgf"} <= keys
    assert name_pinyin("曾国藩") == "zengguofan"
    assert name_initials("曾国藩") == "zgf"


def test_zhang_sanfeng_suffixes() -> None:
    assert name_search_keys("张三丰") == {
        "张三丰", "三丰", "丰",
        "zhangsanfeng", "sanfeng", "feng",
        "zsf", "sf", "f",
    }  # fmt: skip


def test_shan_xiongxin() -> None:
    assert found("单雄信", "shanxiongxin")
    assert found("单雄信", "sxx")
    assert found("单雄信", "Shan Xiong")
    assert name_pinyin("单雄信") == "shanxiongxin"


@pytest.mark.parametrize(
    ("surname", "reading"),
    [
        ("区", "ou"), ("解", "xie"), ("仇", "qiu"), ("查", "zha"), ("朴", "piao"),
        ("盖", "ge"), ("缪", "miao"), ("乐", "yue"), ("乐", "le"), ("覃", "qin"),
        ("覃", "tan"), ("翟", "zhai"), ("翟", "di"), ("冼", "xian"), ("能", "nai"),
    ],
)  # fmt: skip
def test_single_surname_readings(surname: str, reading: str) -> None:
    assert reading in SURNAME_READINGS[surname]
    keys = name_search_keys(surname + "明")
    assert reading + "ming" in keys
    assert reading[0] + "m" in keys


def test_qu_as_surname() -> None:
    assert name_pinyin("区") == "ou"
    assert "ou" in name_search_keys("区")
    assert name_pinyin("区志强") == "ouzhiqiang"


def test_compound_surname_ouyang() -> None:
    keys = name_search_keys("欧阳修")
    assert {"ouyangxiu", "oyx", "yangxiu", "yx", "xiu", "阳修"} <= keys
    assert name_initials("欧阳修") == "oyx"


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("尉迟恭", "yuchigong", "ycg"),
        ("万俟卨", "moqixie", "mqx"),
        ("长孙无忌", "zhangsunwuji", "zswj"),
        ("诸葛亮", "zhugeliang", "zgl"),
        ("司马光", "simaguang", "smg"),
        ("上官婉儿", "shangguanwaner", "sgwe"),
        ("澹台灭明", "tantaimieming", "ttmm"),
    ],
)
def test_compound_surnames(name: str, full: str, initials: str) -> None:
    assert name_pinyin(name) == full
    assert name_initials(name) == initials
    assert {full, initials} <= name_search_keys(name)


def test_every_compound_surname_splits_into_syllables() -> None:
    for surname, readings in SURNAME_READINGS.items():
        if len(surname) < 2:
            continue
        initials = name_initials(surname + "明")
        assert len(initials) == len(surname) + 1, surname
        assert name_pinyin(surname + "明") == readings[0] + "ming"


def test_table_readings_are_plain_lowercase() -> None:
    for surname, readings in SURNAME_READINGS.items():
        assert readings, surname
        assert all(r.isascii() and r.isalpha() and r.islower() for r in readings), surname
        assert len(set(readings)) == len(readings), surname


def test_ambiguous_compound_keeps_single_surname_reading() -> None:
    keys = name_search_keys("单于华")  # a 单 with a given name starting 于, or the 单于 surname
    assert {"shanyuhua", "syh", "chanyuhua"} <= keys


def test_minority_name_with_middle_dot() -> None:
    keys = name_search_keys("阿依古丽·买买提")
    assert all("·" not in k for k in keys)
    assert {"阿依古丽买买提", "买买提", "ayigulimaimaiti", "maimaiti", "ayglmmt", "mmt"} <= keys
    assert found("阿依古丽·买买提", "阿依古丽·买")
    assert found("阿依古丽•买买提", "maimaiti")


def test_latin_letters_lowercased_and_kept() -> None:
    keys = name_search_keys("张Anna")
    assert {"zhanganna", "anna", "za", "张anna"} <= keys
    assert all(k == k.lower() for k in keys)


def test_lv_written_with_v() -> None:
    assert name_pinyin("吕布") == "lvbu"
    assert found("吕布", "lü")
    assert found("吕布", "LǙBÙ")


def test_normalize_query() -> None:
    assert normalize_query("Zhang San") == "zhangsan"
    assert normalize_query("Ｚｈａｎｇ\u3000Ｓａｎ") == "zhangsan"
    assert normalize_query("xi'an") == "xian"
    assert normalize_query("阿依古丽 · 买买提") == "阿依古丽买买提"
    assert normalize_query("Jean-Luc") == "jeanluc"
    assert normalize_query("zhāng") == "zhang"
    assert normalize_query("") == ""


def test_empty_name() -> None:
    assert name_search_keys("") == set()
    assert name_search_keys(" · ") == set()
    assert name_pinyin("") == ""
    assert name_initials("") == ""


def test_prefix_upper_bound_examples() -> None:
    assert prefix_upper_bound("zhang") == "zhanh"
    assert prefix_upper_bound("张") == chr(ord("张") + 1)
    assert prefix_upper_bound("a\U0010ffff\U0010ffff") == "b"
    assert prefix_upper_bound("\U0010ffff") is None
    assert prefix_upper_bound("") is None
    assert prefix_upper_bound("a\ud7ff") == "a\ue000"  # never produce a lone surrogate


# --- properties ------------------------------------------------------------------------------

cjk_names = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=6
)
common_prefixes = st.sampled_from(["", *SURNAME_READINGS])
names = st.builds(lambda head, rest: head + rest, common_prefixes, cjk_names)


def is_cjk(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CJK ")


@HYPOTHESIS
@given(names)
def test_keys_are_lowercase_or_cjk(name: str) -> None:
    keys = name_search_keys(name)
    assert name in keys
    assert name_pinyin(name) in keys
    assert name_initials(name) in keys
    for key in keys:
        assert key
        assert all(("a" <= ch <= "z") or is_cjk(ch) for ch in key), key
    # characters, plus full pinyin and initials per suffix for each capped combination
    assert len(keys) <= len(name) * (1 + 2 * MAX_COMBINATIONS)


@HYPOTHESIS
@given(names, st.data())
def test_every_key_prefix_falls_in_its_range(name: str, data: st.DataObject) -> None:
    for key in sorted(name_search_keys(name)):
        end = data.draw(st.integers(1, len(key)))
        prefix = key[:end]
        upper = prefix_upper_bound(prefix)
        assert upper is not None
        assert prefix <= key < upper


@HYPOTHESIS
@given(st.text(min_size=1), st.text())
def test_upper_bound_is_exact(prefix: str, other: str) -> None:
    upper = prefix_upper_bound(prefix)
    inside = prefix + other
    assert prefix <= inside
    if upper is None:
        assert set(prefix) == {"\U0010ffff"}
        return
    assert inside < upper
    # a string that does not start with the prefix is outside [prefix, upper)
    if not other.startswith(prefix) and other:
        assert not (prefix <= other < upper)


@HYPOTHESIS
@given(st.text(max_size=12))
def test_keys_never_crash_and_are_folded(name: str) -> None:
    for key in name_search_keys(name):
        assert key
        assert normalize_query(key) == key
