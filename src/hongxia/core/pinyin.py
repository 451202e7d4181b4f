"""Search keys for Chinese personal names: characters, full pinyin and initials.

A name is stored with a set of keys and found by a *prefix* search on them (an index range
``key >= p AND key < prefix_upper_bound(p)``), so every suffix a user might start typing from
is indexed: 张三丰 is found by 三丰, sanfeng and sf as well as by zhangsanfeng.

pypinyin reads surnames as ordinary words (曾 ceng, 单 dan, 区 qu), so surnames get our own
table; because users type what they believe, we index the table readings *and* pypinyin's.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin

__all__ = [
    "MAX_COMBINATIONS",
    "SURNAME_READINGS",
    "name_initials",
    "name_pinyin",
    "name_search_keys",
    "normalize_query",
    "prefix_upper_bound",
]

MAX_COMBINATIONS = 8

# Surname readings, syllables separated by a space so compound surnames split at syllable
# boundaries (欧阳修 is found by "yangxiu" and "oyx"). The first reading is the primary one.
_SURNAME_SYLLABLES: dict[str, tuple[str, ...]] = {
    # single-character surnames pypinyin misreads or reads only one way
    "曾": ("zeng",),
    "单": ("shan",),
    "覃": ("qin", "tan"),
    "解": ("xie",),
    "仇": ("qiu",),
    "区": ("ou",),
    "查": ("zha",),
    "朴": ("piao",),
    "盖": ("ge",),
    "缪": ("miao",),
    "乐": ("yue", "le"),
    "柏": ("bai", "bo"),
    "秘": ("bi",),
    "燕": ("yan",),
    "任": ("ren",),
    "华": ("hua",),
    "纪": ("ji",),
    "种": ("chong",),
    "员": ("yun",),
    "宓": ("mi",),
    "繁": ("po",),
    "翟": ("zhai", "di"),
    "隗": ("wei",),
    "祭": ("zhai",),
    "折": ("she",),
    "哈": ("ha",),
    "都": ("du",),
    "召": ("shao",),
    "句": ("gou",),
    "莘": ("shen",),
    "黑": ("he",),
    "阚": ("kan",),
    "洗": ("xian",),
    "冼": ("xian",),
    "能": ("nai",),
    "薄": ("bo",),
    "尉": ("yu", "wei"),
    "佴": ("nai",),
    "郇": ("xun", "huan"),
    "粘": ("nian",),
    "乜": ("nie",),
    "郗": ("xi", "chi"),
    "卜": ("bu",),
    "牟": ("mou", "mu"),
    "蕃": ("pi",),
    "奇": ("ji", "qi"),
    "炅": ("gui", "jiong"),
    "重": ("chong",),
    "谌": ("chen", "shen"),
    "晟": ("sheng", "cheng"),
    "藏": ("zang",),
    # compound surnames
    "欧阳": ("ou yang",),
    "司马": ("si ma",),
    "诸葛": ("zhu ge",),
    "上官": ("shang guan",),
    "东方": ("dong fang",),
    "皇甫": ("huang fu",),
    "慕容": ("mu rong",),
    "令狐": ("ling hu",),
    "公孙": ("gong sun",),
    "夏侯": ("xia hou",),
    "尉迟": ("yu chi",),
    "万俟": ("mo qi",),
    "长孙": ("zhang sun",),
    "宇文": ("yu wen",),
    "澹台": ("tan tai",),
    "轩辕": ("xuan yuan",),
    "端木": ("duan mu",),
    "司徒": ("si tu",),
    "申屠": ("shen tu",),
    "钟离": ("zhong li",),
    "闻人": ("wen ren",),
    "赫连": ("he lian",),
    "呼延": ("hu yan",),
    "太叔": ("tai shu",),
    "公冶": ("gong ye",),
    "宗政": ("zong zheng",),
    "濮阳": ("pu yang",),
    "淳于": ("chun yu",),
    "仲孙": ("zhong sun",),
    "百里": ("bai li",),
    "东郭": ("dong guo",),
    "南宫": ("nan gong",),
    "西门": ("xi men",),
    "第五": ("di wu",),
    "公羊": ("gong yang",),
    "梁丘": ("liang qiu",),
    "左丘": ("zuo qiu",),
    "拓跋": ("tuo ba",),
    "羊舌": ("yang she",),
    "微生": ("wei sheng",),
    "乐正": ("yue zheng",),
    "漆雕": ("qi diao",),
    "壤驷": ("rang si",),
    "公西": ("gong xi",),
    "巫马": ("wu ma",),
    "颛孙": ("zhuan sun",),
    "子车": ("zi ju",),
    "亓官": ("qi guan",),
    "司寇": ("si kou",),
    "谷梁": ("gu liang",),
    "宰父": ("zai fu",),
    "段干": ("duan gan",),
    "闾丘": ("lv qiu",),
    "鲜于": ("xian yu",),
    "司空": ("si kong",),
    "单于": ("chan yu",),
}

SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    surname: tuple(reading.replace(" ", "") for reading in readings)
    for surname, readings in _SURNAME_SYLLABLES.items()
}

_COMPOUND_LENGTHS = sorted({len(s) for s in _SURNAME_SYLLABLES if len(s) > 1}, reverse=True)

Syllables = tuple[str, ...]


def _fold(text: str) -> str:
    """Shared canonical form of names and queries, so that both sides compare equal.

    NFKC (full-width to ASCII), lower case, ü as v (pinyin typing convention), tone marks and
    other accents dropped, and everything that is not a letter or digit (spaces, the middle
    dot of transliterated names, apostrophes, hyphens) removed.
    """
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).lower())
    text = text.replace("u\u0308", "v")  # ü with or without a tone mark (ǚ)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch.isalnum())


def _is_han(ch: str) -> bool:
    return ch == "〇" or unicodedata.name(ch, "").startswith("CJK ")


def _default_readings(han: str) -> list[str]:
    return list(_default_readings_cached(han))


# Given names repeat across a roster of 56,000 and pypinyin costs ~100 µs a name: the pure
# steps are memoised (bounded), so an import or a seed reads each distinct name once.
@functools.lru_cache(maxsize=65_536)
def _default_readings_cached(han: str) -> tuple[str, ...]:
    """pypinyin's reading of each character (in context); a character it cannot read stays."""
    readings = lazy_pinyin(han, style=Style.NORMAL)
    if len(readings) != len(han):
        readings = [(lazy_pinyin(ch, style=Style.NORMAL) or [ch])[0] for ch in han]
    return tuple(_fold(reading) or ch for reading, ch in zip(readings, han, strict=True))


def _syllables(text: str) -> list[str]:
    """Split folded text into syllables: one per Han character, one per run of anything else."""
    result: list[str] = []
    for is_han, group in itertools.groupby(text, key=_is_han):
        run = "".join(group)
        if is_han:
            result.extend(_default_readings(run))
        else:
            result.append(run)
    return result


def _head_alternatives(text: str) -> list[tuple[int, list[Syllables]]]:
    """Ways to read the start of the name as a surname: (characters used, readings).

    A name starting with a compound surname may also be a single surname followed by a given
    name (单于华 could be 单 + 于华), so both readings are kept.
    """
    alternatives: list[tuple[int, list[Syllables]]] = []
    for length in _COMPOUND_LENGTHS:
        head = text[:length]
        if len(text) >= length and head in _SURNAME_SYLLABLES:
            table = [tuple(r.split()) for r in _SURNAME_SYLLABLES[head]]
            alternatives.append((length, [*table, tuple(_default_readings(head))]))
            break
    if text and _is_han(text[0]):
        table = [tuple(r.split()) for r in _SURNAME_SYLLABLES.get(text[0], ())]
        single = (1, [*table, tuple(_default_readings(text[0]))])
        # A bare compound (欧阳 alone) is more likely surname + one-character given name.
        if alternatives and len(text) <= alternatives[0][0]:
            alternatives.insert(0, single)
        else:
            alternatives.append(single)
    return alternatives or [(0, [()])]


def _combinations(name: str) -> list[Syllables]:
    return list(_combinations_cached(name))


@functools.lru_cache(maxsize=65_536)
def _combinations_cached(name: str) -> tuple[Syllables, ...]:
    """Plausible syllable sequences for a name, primary first, at most MAX_COMBINATIONS."""
    text = _fold(name)
    if not text:
        return ()
    seen: dict[Syllables, None] = {}
    for used, heads in _head_alternatives(text):
        rest = tuple(_syllables(text[used:]))
        for head in heads:
            seen.setdefault(head + rest, None)
    return tuple(seen)[:MAX_COMBINATIONS]


def _suffix_keys(syllables: Syllables) -> Iterable[str]:
    for start in range(len(syllables)):
        tail = syllables[start:]
        yield "".join(tail)
        yield "".join(s[0] for s in tail)


def name_search_keys(name: str) -> set[str]:
    """Every key under which a prefix search must find ``name``.

    Character suffixes, and the full pinyin and initials of every suffix starting at a
    syllable boundary, for each plausible reading of the surname.
    """
    text = _fold(name)
    keys = {text[start:] for start in range(len(text))}
    for combination in _combinations(text):
        keys.update(_suffix_keys(combination))
    keys.discard("")
    return keys


def normalize_query(q: str) -> str:
    """Fold a typed query the way keys are folded: "Zhang San" → "zhangsan"."""
    return _fold(q)


def name_pinyin(name: str) -> str:
    """Primary full pinyin, for display and sorting: 曾国藩 → "zengguofan"."""
    combinations = _combinations(name)
    return "".join(combinations[0]) if combinations else ""


def name_initials(name: str) -> str:
    """Primary initials, for display and sorting: 曾国藩 → "zgf"."""
    combinations = _combinations(name)
    return "".join(s[0] for s in combinations[0]) if combinations else ""


_MAX_CHAR = "\U0010ffff"


def prefix_upper_bound(prefix: str) -> str | None:
    """Smallest string above every string starting with ``prefix`` (code-point order).

    Turns a prefix search into an index range ``key >= prefix AND key < bound``; the column
    must compare by code point (PostgreSQL "C" collation, SQLite's default). Returns None when
    there is no bound (empty prefix, or only U+10FFFF characters): search with ``key >= prefix``
    alone then. The surrogate block is skipped because it cannot be stored as UTF-8.
    """
    stripped = prefix.rstrip(_MAX_CHAR)
    if not stripped:
        return None
    code = ord(stripped[-1]) + 1
    if 0xD800 <= code <= 0xDFFF:
        code = 0xE000
    return stripped[:-1] + chr(code)
