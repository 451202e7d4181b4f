"""Pure parsers for roster cells: encodings, mojibake, headers, dates, IDs and choice values.

No database and no settings: every function takes a value and returns a value or raises
``CellError`` with a stable code, so hypothesis can throw anything at them.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import unicodedata
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hongxia.core import idcard, masking
from hongxia.people import choices_data

__all__ = [
    "FIELDS",
    "CellError",
    "HeaderMatch",
    "decode_bytes",
    "find_header",
    "fold",
    "is_blank_row",
    "is_total_row",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_id",
    "repair_mojibake",
    "section_category",
    "section_heading",
]

MESSAGES: dict[str, Promise] = {
    "date": _("Not a date we can read: %(value)s. Write it as 1938-05-01, 1938.05 or 1938年5月."),
    "date_range": _("The date %(value)s is out of range."),
    "excel_error": _(
        "The cell holds Excel's error value %(value)s, from a formula that failed: correct "
        "it in Excel and import the file again."
    ),
    "date_short_year": _(
        "The year of the date %(value)s has only two digits: write all four, e.g. 1938.05."
    ),
    "date_ambiguous": _(
        "The number %(value)s may mean January or October (Excel drops the "
        "trailing 0 of 1938.10): write the date as text, e.g. 1938年10月."
    ),
    "choice": _("Unknown value %(value)s."),
    "bool": _("Write 是 or 否, not %(value)s."),
    "lunar": _("Write 农历 or 公历 (or 是 or 否), not %(value)s."),
    "region": _("Unknown region %(value)s."),
    "region_ambiguous": _("The region name %(value)s is ambiguous; use the region code."),
    "region_level": _(
        "%(value)s is a city or a province: a person's region is a county, district or town."
    ),
    "masked": _(
        "%(value)s is masked (from a masked export): enter the full number, or delete the column."
    ),
    "mojibake": _(
        "The text %(value)s looks garbled by a wrong encoding and cannot be repaired "
        "with certainty: kept as written, please check it."
    ),
    "undecodable": _(
        "The text %(value)s holds bytes that are not text in the file's encoding (shown as "
        "�): kept as written, please check it."
    ),
}


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is the (lazy) translated text."""

    def __init__(self, code: str, value: Any = "", message: Any = None) -> None:
        self.code = code
        self.value = value
        self._message = message
        super().__init__(code, str(value))

    @property
    def message(self) -> str:
        if self._message is not None:
            return str(self._message)
        return str(MESSAGES[self.code]) % {"value": str(self.value)[:60]}

    def __str__(self) -> str:
        return self.message


# --- text ------------------------------------------------------------------------------------

MASK = "*"  # what core.masking puts in place of the hidden digits


_FORMAT_CHARS = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# Printable ASCII, CJK punctuation, ideographs and full-width forms hold no format (Cf)
# character (a test checks): text made of them alone needs no scan for one.
_NO_FORMAT = re.compile("[\x20-\x7e\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uffef]*")


def fold(value: Any) -> str:
    """A cell as clean text for parsing: NFKC (full-width digits, letters, punctuation and
    spaces become ASCII), format characters dropped, runs of spaces made one, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():
        text = _FORMAT_CHARS.sub("", unicodedata.normalize("NFKC", text))
        if not _NO_FORMAT.fullmatch(text) and any(unicodedata.category(ch) == "Cf" for ch in text):
            text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = " ".join(text.split())
    if not text.isprintable():
        # Control characters: the NUL padding of an old system's fixed-width fields (which
        # PostgreSQL refuses to store), a stray ESC. They say nothing. (Not C1: text garbled
        # through Latin-1 holds them, and is kept as written for a clerk to see.)
        text = " ".join(_CONTROL_CHARS.sub("", text).split())
    return text


_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f]")


# Full-width digits and Latin letters (Ａ-Ｚ ａ-ｚ ０-９) → ASCII; Chinese punctuation stays.
_WIDE_ALNUM = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF5B) if chr(cp - 0xFEE0).isalnum()}


# Excel's error values: what a cell shows when its formula fails. Excel writes them as text
# into a CSV file; in an .xlsx the reader gives them back as this text (readers.Table.rows).
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!", "#BUSY!"}
)


def fold_text(value: Any) -> str:
    """A free-text cell (name, address, notes) as stored: full-width digits, letters and
    spaces folded, format characters dropped, spaces collapsed; Chinese punctuation (，（）)
    kept as written."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():
        text = _FORMAT_CHARS.sub("", text.translate(_WIDE_ALNUM))
        if not _NO_FORMAT.fullmatch(text) and any(unicodedata.category(ch) == "Cf" for ch in text):
            text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = " ".join(text.split())
    if not text.isprintable():
        # Control characters: the NUL padding of an old system's fixed-width fields (which
        # PostgreSQL refuses to store), a stray ESC. They say nothing. (Not C1: text garbled
        # through Latin-1 holds them, and is kept as written for a clerk to see.)
        text = " ".join(_CONTROL_CHARS.sub("", text).split())
    return text


_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f]")


# What is put in front of a number to keep Excel from turning it into one: an apostrophe
# ('431202...), or a formula (="431202...") as some systems export their CSV files.
_AS_TEXT = re.compile(r'="(.*)"', re.DOTALL)


def unquote(value: Any) -> Any:
    """A text cell without a leading apostrophe or a ="..." wrapper; other cells as they are.
    For the cells where those are a spreadsheet's markers (an ID, a phone, a date, a name), not
    free text, whose own apostrophe they would take."""
    if not isinstance(value, str) or not value.startswith(("'", "=", " ")):
        return value
    text = value.strip()
    if text.startswith("'") and len(text) > 1:
        return text[1:]
    m = _AS_TEXT.fullmatch(text)
    return m.group(1) if m else value


_SPACE_IN_NAME = re.compile(r"(?<=[\u3400-\u4dbf\u4e00-\u9fff])\s+(?=[\u3400-\u4dbf\u4e00-\u9fff])")


def fold_name(value: Any) -> str:
    """A name as stored: no space between two ideographs. Two-character names are padded to
    the width of three in many rosters (张　三); 张三 is the name."""
    return _SPACE_IN_NAME.sub("", fold_text(value))


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


_CP1252_REVERSE = {
    ch: bytes([b])
    for b in range(0x80, 0xA0)
    for ch in [bytes([b]).decode("cp1252", errors="ignore")]
    if ch
}
_CJK_PUNCT = set("，。、；：？！“”‘’（）《》【】—…·　")


def _misdecoded_bytes(text: str) -> bytes | None:
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 0x100:
            out.append(code)
        elif ch in _CP1252_REVERSE:
            out += _CP1252_REVERSE[ch]
        else:
            return None
    return bytes(out)


def _plausible_chinese(text: str, at_least: int = 1) -> bool:
    """Every non-ASCII character a common (GB 2312) ideograph or Chinese punctuation, and at
    least `at_least` ideographs. Any two Latin-1 letters from 0xB0 up decode as GBK to some
    common ideograph about a third of the time ("°¤" → "挨"), so one is no evidence."""
    cjk = 0
    for ch in text:
        if ord(ch) < 0x80:
            if not ch.isprintable():
                return False
            continue
        if ch in _CJK_PUNCT:
            continue
        if not _is_cjk(ch):
            return False
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            return False
        cjk += 1
    return cjk >= at_least


def looks_garbled(text: str) -> bool:
    """Latin-1 letters where a Chinese roster would have ideographs, and no ideograph at all."""
    if not text or text.isascii() or any(_is_cjk(ch) for ch in text):
        return False  # ASCII has none of the Latin-1 letters counted below
    high = sum(1 for ch in text if 0x80 <= ord(ch) < 0x100 or ch in _CP1252_REVERSE)
    return high >= 2


def repair_mojibake(text: str, known: Container[str] = ()) -> tuple[str, str]:
    """(text, status): status is "" (nothing to do), "repaired" or "uncertain".

    Repaired only when the bytes behind the Latin-1/cp1252 text decode strictly as UTF-8, or
    as GBK into common ideographs (two at least, or one of the ``known`` values of the
    column: ÄÐ in a gender column is 男); anything else is reported, never guessed.
    """
    if not looks_garbled(text):
        return text, ""
    raw = _misdecoded_bytes(text)
    if raw is None:
        return text, "uncertain"
    candidates: list[str] = []
    for encoding in ("utf-8", "gbk"):
        try:
            fixed = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        at_least = 1 if encoding == "utf-8" or fixed in known else 2
        if _plausible_chinese(fixed, at_least=at_least):
            candidates.append(fixed)
            if encoding == "utf-8":
                break  # valid multi-byte UTF-8 by accident is vanishingly rare: it decides
    if len(candidates) == 1:
        return candidates[0], "repaired"
    return text, "uncertain"


# --- encodings -------------------------------------------------------------------------------

# At most one byte in this many non-ASCII ones may be no UTF-8 for a file to be read as UTF-8.
UTF8_STRAY_RATIO = 50
_HIGH_BYTES = bytes(range(0x80, 0x100))
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text of a CSV file and the encoding found: BOMs, UTF-16 without BOM, UTF-8, then GB18030
    (a superset of GBK and GB2312, so a GBK file reads the same and is reported as gbk)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name), name.replace("-sig", "")
    # Text in GBK or UTF-8 has no NUL bytes; UTF-16 has them in the high byte of every ASCII
    # character (and of a few ideographs such as 怀 U+6000), so one parity holds most of them.
    sample = data[:4000]
    low_zeros = sample[1::2].count(0)  # little-endian: the high byte comes second
    high_zeros = sample[0::2].count(0)
    for zeros, other, codec in (
        (low_zeros, high_zeros, "utf-16-le"),
        (high_zeros, low_zeros, "utf-16-be"),
    ):
        if zeros >= max(2, len(sample) // 40) and zeros > 2 * other:
            try:
                return data.decode(codec), "utf-16"
            except UnicodeDecodeError:
                pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # UTF-8 but for a stray byte or two (another program's Latin-1 · or é pasted in): read
    # as GBK, all of it would be garbage; read as UTF-8 only those bytes are lost, and the
    # cells that held them are flagged (U+FFFD). GBK text is not UTF-8 for more than a
    # character or two at a time, so it never gets this far below the threshold.
    text = data.decode("utf-8", errors="replace")
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    if text.count("\ufffd") * UTF8_STRAY_RATIO <= high:
        return text, "utf-8"
    try:
        text = data.decode("gbk")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "gb18030"
    return text, "gbk"


# --- headers ---------------------------------------------------------------------------------

# field → header words (Chinese first, then the English export labels), compared after fold().
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "name"),
    "id_number": (
        "身份证号",
        "公民身份号码",
        "身份证号码",
        "身份证",
        "证件号码",
        "公民身份证号",
        "公民身份证号码",
        "id number",
    ),
    "gender": ("性别", "gender"),
    "ethnicity": ("民族", "ethnicity"),
    "birth_date": ("出生年月", "出生日期", "出生年月日", "出生时间", "生日", "birth date"),
    "category": ("离退休类别", "类别", "人员类别", "离退休", "离退休类型", "category"),
    "former_unit": ("原工作单位", "原单位", "工作单位", "former unit"),
    "rank": ("职级", "级别", "职务级别", "rank"),
    "retirement_date": (
        "离退休时间",
        "退休时间",
        "离退休日期",
        "退休日期",
        "离退休年月",
        "退休年月",
        "离休时间",
        "retirement date",
    ),
    "revolution_date": ("参加革命时间", "参加工作时间", "joined the revolution"),
    "political_status": ("政治面貌", "是否党员", "是否中共党员", "political status"),
    "party_joined": ("入党时间", "入党日期", "入党年月", "joined the party"),
    "region": (
        "所属区划",
        "区划",
        "区划代码",
        "所在地区",
        "所在区县",
        "县市区",
        "所属县市区",
        "所在县市区",
        "区县",
        "县",  # 县（市、区）, once the bracket is dropped
        "乡镇",  # 乡镇（街道）
        "所属乡镇",
        "单位所在地",
        "region",
    ),
    "address": (
        "居住地址",
        "现住址",
        "家庭住址",
        "住址",
        "地址",
        "现居住地址",
        "现居住地",
        "家庭地址",
        "address",
    ),
    "phone": (
        "联系电话",
        "手机",
        "手机号码",
        "移动电话",
        "手机号",
        "电话",
        "电话号码",
        "联系方式",
        "mobile phone",
    ),
    "landline": ("固定电话", "座机", "landline"),
    "health_status": ("健康状况", "身体状况", "health"),
    "lives_elsewhere": ("是否异地居住", "异地居住", "lives elsewhere"),
    "elsewhere_city": ("异地居住城市", "居住城市", "city of residence"),
    "elsewhere_address": ("异地居住地址", "address elsewhere"),
    "life_status": ("生存状态", "是否在世", "是否健在", "life status"),
    "death_date": (
        "去世时间",
        "去世日期",
        "逝世时间",
        "逝世日期",
        "死亡日期",
        "死亡时间",
        "去世年月",
        "date of death",
    ),
    "hardship": ("是否困难", "困难", "in hardship"),
    "hardship_note": ("困难情况", "困难说明", "困难情况说明", "致困原因", "hardship details"),
    "lunar_birthday": (
        "农历生日",
        "是否农历生日",
        "过农历生日",
        "生日历法",
        "birthday kept by the lunar calendar",
    ),
    "survivor_relation": (
        "与已故干部关系",
        "与去世干部关系",
        "遗属关系",
        "与原干部关系",
        "relation to the deceased",
    ),
    "tags": ("精细分类", "人员分类", "分类标签", "人员标签", "classification"),
    # 遗属: the deceased cadre, by ID number (a name alone is not enough to link).
    "survivor_of": (
        "已故干部身份证号",
        "已故干部身份证号码",
        "原干部身份证号",
        "去世干部身份证号",
        "ID number of the deceased cadre",
    ),
    "notes": ("备注", "notes"),
    # Recognised, but not registry fields: kept out of the "unknown column" list.
    "party_branch": ("所在党支部", "党支部", "所在支部"),
    "seq": ("序号", "编号", "no."),
    "region_name": ("区划名称", "region name"),
    "survivor_of_name": (
        "已故干部姓名",
        "原干部姓名",
        "去世干部姓名",
        "name of the deceased cadre",
    ),
    "report": ("问题", "problems"),
}
IGNORED_FIELDS = frozenset({"party_branch", "seq", "region_name", "report", "survivor_of_name"})
_HEADER_NOISE = re.compile(r"[\s*:：()（）\[\]【】]|必填|选填")
HEADER_SCAN_ROWS = 30


def header_key(value: Any) -> str:
    text = fold(value).lower()
    # Drop bracketed hints such as "出生年月（格式：1938.05）" before the noise characters.
    text = re.sub(r"[(（][^)）]*[)）]", "", text)
    return _HEADER_NOISE.sub("", text)


_SYNONYMS: dict[str, str] = {
    header_key(word): field for field, words in FIELDS.items() for word in words
}


@dataclass
class HeaderMatch:
    row_index: int  # 0-based index of the header row in the sheet (the lower of two)
    columns: dict[int, str]  # column index → field
    unknown: list[tuple[int, str]]  # (column index, header text) not mapped
    duplicates: list[tuple[int, str]]  # a second column for a field already mapped
    cells: list[Any] = dataclasses.field(default_factory=list)  # each column's header, as mapped
    # (column index, header as written, as repaired): garbled headers of a garbled file.
    repaired: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)


def map_header(cells: Sequence[Any], mapping: Mapping[str, str] | None = None) -> HeaderMatch:
    """Map one row of header cells; a saved mapping (header text → field) wins over synonyms."""
    extra = {header_key(k): v for k, v in (mapping or {}).items()}
    columns: dict[int, str] = {}
    unknown: list[tuple[int, str]] = []
    duplicates: list[tuple[int, str]] = []
    written = list(cells)
    cells = [_repaired_header(cell) for cell in written]
    repaired = [
        (i, str(old).strip(), str(new))
        for i, (old, new) in enumerate(zip(written, cells, strict=True))
        if new is not old
    ]
    for index, cell in enumerate(cells):
        key = header_key(cell)
        if not key:
            continue
        field = extra.get(key) or _SYNONYMS.get(key)
        if field is None or (field not in FIELDS and field != "ignore"):
            unknown.append((index, fold(cell)))
        elif field in columns.values():
            duplicates.append((index, fold(cell)))
        else:
            columns[index] = field
    duplicates = _phone_and_landline(columns, duplicates, cells)
    return HeaderMatch(-1, columns, unknown, duplicates, cells, repaired)


_MOBILE_WORDS = ("手机", "移动电话", "mobile")


def _phone_and_landline(
    columns: dict[int, str], duplicates: list[tuple[int, str]], cells: Sequence[Any]
) -> list[tuple[int, str]]:
    """联系电话 beside 手机: both read as the phone, and the second was dropped. When just one
    of the phone columns says mobile, it is the phone, and the first other one the landline
    if the file has no landline column (a number either way, never lost); any other is a
    second column, reported. Two that say mobile, or none, stay as they were."""
    phones = [i for i, f in columns.items() if f == "phone"]
    phones += [i for i, text in duplicates if _SYNONYMS.get(header_key(text)) == "phone"]
    mobiles = [i for i in phones if any(w in fold(cells[i]).lower() for w in _MOBILE_WORDS)]
    if len(phones) < 2 or len(mobiles) != 1:
        return duplicates
    mobile = mobiles[0]
    other = next(i for i in phones if i != mobile)
    for i in phones:
        columns.pop(i, None)
    columns[mobile] = "phone"
    rest = [i for i in phones if i not in (mobile, other)]
    if "landline" not in columns.values():
        columns[other] = "landline"
    else:
        rest.append(other)
    kept = [d for d in duplicates if d[0] not in phones]
    return sorted([*kept, *((i, fold(cells[i])) for i in rest)])


def _repaired_header(cell: Any) -> Any:
    """A header cell of a file garbled as a whole (ÐÕÃû for 姓名), repaired where certain."""
    if not isinstance(cell, str) or cell.isascii():
        return cell
    fixed, status = repair_mojibake(cell.strip())
    return fixed if status == "repaired" else cell


def find_header(
    rows: Sequence[Sequence[Any]], mapping: Mapping[str, str] | None = None
) -> HeaderMatch | None:
    """The first row among the top ones that names at least two fields, one of them the name."""
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        match = map_header(row, mapping)
        fields = set(match.columns.values())
        if (
            "name" in fields
            and len(fields - IGNORED_FIELDS) < 2
            and index + 1 < len(rows)
            and _names_under_groups(row, rows[index + 1], mapping)
        ):
            # 姓名 merged down beside groups (基本情况, 紧急联系人) that the row below breaks
            # into its columns: the two rows name enough together.
            match.row_index = index
            joined = _two_row_header(match, row, rows[index + 1], mapping)
            if joined is not None and len(set(joined.columns.values()) - IGNORED_FIELDS) >= 2:
                return joined
            continue
        if "name" in fields and len(fields - IGNORED_FIELDS) >= 2:
            match.row_index = index
            if index > 0:
                above = _header_above(rows[index - 1], row, mapping)
                if above is not None:
                    above.row_index = index
                    if index + 1 < len(rows):  # a third row: 联系方式 over 手机, 固定电话
                        third = _two_row_header(above, above.cells, rows[index + 1], mapping)
                        return third or above
                    return above
            if index + 1 < len(rows):
                return _two_row_header(match, row, rows[index + 1], mapping) or match
            return match
    return None


def _names_under_groups(
    top: Sequence[Any], below: Sequence[Any], mapping: Mapping[str, str] | None
) -> bool:
    """Whether each 姓名 of the row below stands under a group (紧急联系人 over 姓名 and 电话:
    a contact's name, the person's own being the upper row's) or under nothing. One under a
    header of its own (序号) makes the row below the header itself."""
    for i, cell in enumerate(below):
        if map_header([cell], mapping).columns.get(0) == "name":
            above = top[i] if i < len(top) else None
            if not _empty(above) and map_header([above], mapping).columns:
                return False
    return True


def _header_above(
    above: Sequence[Any], row: Sequence[Any], mapping: Mapping[str, str] | None
) -> HeaderMatch | None:
    """A header of two rows whose upper one groups the lower (基本信息 over 姓名 and 性别,
    联系方式 over 手机) and names the other columns itself, merged down over both (公民身份号码,
    离退休类别). Each column is named by its lower cell, or by the upper one where the lower is
    empty and the upper names a field. A title above the header names none, and neither does
    a form's label (区县：鹤城区 填报日期：…): it ends in a colon, and names one field at most,
    where a header merged down over two rows names several. A field the header row names
    already is not taken again."""
    known = {header_key(k) for k in (mapping or {})} | _SYNONYMS.keys()
    cells = _under_groups(above, row, mapping)
    named = set(map_header(cells, mapping).columns.values())  # a field the header row names
    took = 0
    for i, cell in enumerate(above):
        if _empty(cell) or header_key(cell) not in known or str(cell).strip()[-1:] in "：:":
            continue
        field = map_header([cell], mapping).columns.get(0)
        if field is None or field in named:
            continue
        if i >= len(cells):
            cells.extend([None] * (i + 1 - len(cells)))
        if _empty(cells[i]):
            cells[i] = cell
            named.add(field)
            took += 1
    return map_header(cells, mapping) if took >= 2 else None


# A group over another person's columns (紧急联系人, 配偶情况, 已故干部, 子女): its 姓名 and 电话
# are theirs, not the retiree's.
_OTHER_PERSON = re.compile(r"联系人|配偶|爱人|老伴|家属|亲属|子女|监护|已故|去世|紧急")


def _under_groups(
    top: Sequence[Any], below: Sequence[Any], mapping: Mapping[str, str] | None
) -> list[Any]:
    """The lower row of a two-row header, each cell read under the group above it (the label
    over it, or merged across from its left). Group and cell together may name a field
    (已故干部 over 身份证号: 已故干部身份证号, the cadre a survivor belongs to). Under another
    person's group (紧急联系人 over 姓名 and 电话) a cell names no field of the retiree's: it is
    kept as an unknown column, named with its group, and reported. Under the retiree's own
    groups (基本信息, 联系方式) a cell names what it says."""
    cells = list(below)
    group = ""
    for i, cell in enumerate(below):
        over = top[i] if i < len(top) else None
        if not _empty(over):
            # A header of its own (merged down, or over its subdivisions) is no group.
            group = "" if map_header([over], mapping).columns else str(over).strip()
        if _empty(cell) or not group:
            continue
        combined = f"{group}{str(cell).strip()}"
        if map_header([combined], mapping).columns:
            cells[i] = combined
        elif _OTHER_PERSON.search(group):
            cells[i] = f"{group}（{str(cell).strip()}）"
    return cells


def _two_row_header(
    match: HeaderMatch, top: Sequence[Any], below: Sequence[Any], mapping: Mapping[str, str] | None
) -> HeaderMatch | None:
    """A header of two rows, as clerks merge them: 联系方式 over 手机 and 固定电话, 姓名 merged
    down over both. The row below is part of the header when its 姓名 cell is empty and it
    names a field; each column is then named by its lower cell, or by the upper one."""
    name_at = next(i for i, f in match.columns.items() if f == "name")
    if name_at < len(below) and not _empty(below[name_at]):
        return None
    known = {header_key(k) for k in (mapping or {})} | _SYNONYMS.keys()
    if not any(header_key(c) in known for c in below if not _empty(c)):
        return None
    width = max(len(top), len(below))
    lower = _under_groups(top, below, mapping)
    cells = [
        lower[i] if i < len(lower) and not _empty(lower[i]) else (top[i] if i < len(top) else None)
        for i in range(width)
    ]
    joined = map_header(cells, mapping)
    joined.row_index = match.row_index + 1
    return joined


# --- rows ------------------------------------------------------------------------------------

_TOTAL_WORDS = ("合计", "总计", "小计", "共计", "total")
# The lines under a roster that sign it off (填表人：王五  审核人：赵六  填报日期：...).
_FOOTER_WORDS = (
    "填表人",
    "填报人",
    "制表人",
    "审核人",
    "审批人",
    "负责人",
    "单位负责人",
    "分管领导",
    "填表日期",
    "填报日期",
    "制表日期",
    "审核日期",
    "以下空白",
)


def _empty(cell: Any) -> bool:
    return cell is None or cell == "" or (isinstance(cell, str) and not fold(cell))


def is_blank_row(cells: Sequence[Any]) -> bool:
    return all(_empty(c) for c in cells)


_SECTION_NUMBER = re.compile(r"[（(]?[一二三四五六七八九十]{1,3}[)）、.．]")
_SECTION_COUNT = re.compile(r"[（(]?共?\d+人[)）]?$")


def section_heading(cells: Sequence[Any]) -> str | None:
    """The heading of a group of rows (一、离休干部, （二）退休人员, 遗属（共12人）): a row with one
    cell that is numbered, or that names a category. Its text without the numbering and the
    count, which for a category heading parse_choice("category", …) reads; else None."""
    found: Any = None
    for cell in cells:
        if not _empty(cell):
            if found is not None:
                return None  # a second cell: a person's row (most rows stop here, at once)
            found = cell
    if not isinstance(found, str):
        return None
    text = fold(found).replace(" ", "")
    numbered = _SECTION_NUMBER.match(text)
    rest = _SECTION_COUNT.sub("", text[numbered.end() :] if numbered else text)
    if not rest:
        return None
    if numbered:
        return rest
    try:
        return rest if parse_choice("category", rest) else None
    except CellError:
        return None


def section_category(heading: str | None) -> str | None:
    """A group heading's text when it names a category (离休干部), else None."""
    if not heading:
        return None
    try:
        return heading if parse_choice("category", heading) else None
    except CellError:
        return None


def is_total_row(cells: Sequence[Any]) -> bool:
    """A totals line: its first non-empty cells say 合计/总计/小计 (or 共N人); or a line that
    signs the roster off, whose first non-empty cell says 填表人, 审核人, 填报日期, ..."""
    texts: list[str] = []
    for cell in cells:
        if not _empty(cell):
            texts.append(fold(cell))
            if len(texts) == 2:
                break
    if texts and texts[0].replace(" ", "").startswith(_FOOTER_WORDS):
        return True
    for text in texts:
        key = text.replace(" ", "").lower()
        if key.startswith(_TOTAL_WORDS) or re.fullmatch(r"共\d+人", key):
            return True
    return False


# --- dates -----------------------------------------------------------------------------------

EXCEL_EPOCH = datetime.date(1899, 12, 30)
FIRST_YEAR, LAST_YEAR = 1800, 2200
# The Excel serial number of the last day a roster date may fall on.
LAST_SERIAL = (datetime.date(LAST_YEAR, 12, 31) - EXCEL_EPOCH).days
_DATE_PATTERNS = [
    re.compile(
        r"(?P<y>\d{4})\s*[-/.,。年]\s*(?P<m>\d{1,2})\s*[-/.,。月]\s*(?P<d>\d{1,2})\s*[日号]?"
    ),
    re.compile(r"(?P<y>\d{4})\s*[-/.,。年]\s*(?P<m>\d{1,2})\s*月?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})"),
    re.compile(r"(?P<y>\d{4})\s*年?"),
]
# 38.05, 38-5-1, 38年5月: a two-digit year, 1938 or 2038 (or a retirement in 2008?): never
# guessed. As a number 38.05 would otherwise be read as the Excel serial 38 (1900-02-06).
_SHORT_YEAR = re.compile(r"\d{2}\s*[-/.。年]\s*\d{1,2}(\s*[-/.。月]\s*\d{1,2}\s*[日号]?|\s*月)?")
# A time of day after the date, as databases export it: 1938-05-01 00:00:00.
_TIME_OF_DAY = re.compile(r"(?<=\d)(\s+|T)\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _make_date(y: int, m: int, d: int, raw: Any) -> datetime.date:
    try:
        return datetime.date(y, m, d)
    except ValueError:
        raise CellError("date", raw) from None


def parse_date(value: Any) -> datetime.date | None:
    """A date cell in any of the forms clerks use; a month alone means its first day.

    1938.05 and 1938.5 are May; 193805 and 19380501 typed as numbers are read as written; an
    Excel serial number (up to the year 2200) counts days from 1899-12-30. Empty → None;
    anything else unreadable raises CellError.
    """
    return parse_date_precision(value)[0]


def parse_date_precision(value: Any, *, serial: bool = True) -> tuple[datetime.date | None, str]:
    """(date, precision): precision is "day", "month" or "year" (what the cell really said),
    so that 出生年月 1938.05 agrees with an ID that says 1938-05-17. A number read from text
    (a CSV file, a text cell) is never an Excel serial (``serial``): 19605 is no date."""
    if value is None:
        return None, "day"
    if isinstance(value, datetime.datetime):
        return value.date(), "day"
    if isinstance(value, datetime.date):
        return value, "day"
    if isinstance(value, bool):
        raise CellError("date", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and value != value:  # NaN
            raise CellError("date", value)
        try:
            number = float(value)
        except OverflowError:
            raise CellError("date_range", value) from None
        whole = abs(number) < 1e300 and number == int(number)
        if whole and FIRST_YEAR <= number <= LAST_YEAR:
            return _make_date(int(number), 1, 1, value), "year"  # a bare year
        if FIRST_YEAR <= number < LAST_YEAR + 1 and not whole:
            # 1938.05 typed into a number cell. 1938.1 is either January or 1938.10 with the
            # trailing zero dropped by Excel: refuse to guess.
            text = repr(round(number, 2))
            if text.endswith(".1"):
                raise CellError("date_ambiguous", value)
            return parse_date_precision(text)
        if whole and FIRST_YEAR * 100 + 1 <= number <= LAST_YEAR * 100 + 12:
            return parse_date_precision(str(int(number)))  # 193805: Excel never shows a serial
        if whole and FIRST_YEAR * 10000 + 101 <= number <= LAST_YEAR * 10000 + 1231:
            return parse_date_precision(str(int(number)))
        if 0 < number < 100 and not whole:
            raise CellError("date_short_year", value)
        if not serial:
            raise CellError("date", value)
        if 1 <= number <= LAST_SERIAL:
            return EXCEL_EPOCH + datetime.timedelta(days=int(number)), "day"
        raise CellError("date_range", value)
    text = fold(value)
    if not text:
        return None, "day"
    text = _TIME_OF_DAY.sub("", text).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            parts = m.groupdict()
            year = int(parts["y"])
            month = int(parts.get("m") or 1)
            day = int(parts.get("d") or 1)
            if not FIRST_YEAR <= year <= LAST_YEAR:
                raise CellError("date_range", value)
            precision = "day" if parts.get("d") else ("month" if parts.get("m") else "year")
            return _make_date(year, month, day, value), precision
    if _SHORT_YEAR.fullmatch(text):
        raise CellError("date_short_year", value)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        try:
            return parse_date_precision(float(text), serial=False)
        except CellError as exc:
            raise CellError(exc.code, value) from None  # the cell as written, not 19605.0
    raise CellError("date", value)


# --- ID numbers ------------------------------------------------------------------------------


def parse_id(value: Any) -> tuple[str, bool]:
    """(18-character number, upgraded from 15). Empty → ("", False).

    Excel stores an 18-digit ID typed into a number cell as a double: the last digits are gone
    (4.31202E+17), so such a cell is refused, never rounded back.
    """
    info = parse_id_info(value)
    return (info.number, info.upgraded_from_15) if info else ("", False)


def parse_id_info(value: Any) -> idcard.IdInfo | None:
    """As parse_id, with every part of the number (None for an empty cell)."""
    if value is None or (isinstance(value, str) and not fold(value)):
        return None
    if isinstance(value, float):
        # Up to 15 digits a double is exact (an old 15-digit card survives); beyond, it is not.
        if value.is_integer() and 0 < value < 1e15:
            value = int(value)
        else:
            raise idcard.IdNumberError("excel_float", {"value": fold(f"{value:.6G}")})
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        # A number from a spreadsheet was a double: 16 digits or more are not the typed ones.
        raise idcard.IdNumberError("excel_float", {"value": f"{value:.6G}"})
    text = str(value) if isinstance(value, int) else fold(value)
    if MASK in text:
        raise CellError("masked", text)
    try:
        return idcard.parse(text)
    except idcard.IdNumberError as exc:
        if exc.code == "check_digit" and looks_cut_by_excel(idcard.normalize(text)):
            # The digits Excel kept are most of the number: masked, as the job's page shows it
            # to the county's other clerks.
            raise idcard.IdNumberError("excel_float", {"value": masking.mask_id(text)}) from None
        raise


def looks_cut_by_excel(number: str) -> bool:
    """Excel keeps 15 significant digits: an 18-digit ID it held as a number comes out of a
    CSV as 431202193805011000. One in eleven of those still passes the check digit."""
    return len(number) == 18 and number.endswith("000")


# --- choice values ---------------------------------------------------------------------------

_SUFFIXES = ("族",)
_EXTRA_CHOICES: dict[str, dict[str, str]] = {
    "gender": {
        "男": "M",
        "女": "F",
        "男性": "M",
        "女性": "F",
        "m": "M",
        "f": "F",
        "male": "M",
        "female": "F",
        "1": "M",
        "2": "F",
    },
    "category": {
        "离休": "lixiu",
        "离休干部": "lixiu",
        "退休": "tuixiu",
        "退休干部": "tuixiu",
        "离休人员": "lixiu",
        "退休人员": "tuixiu",
        "遗属": "survivor",
        "遗孀": "survivor",
        "遗属遗孀": "survivor",
        "veteran(离休)": "lixiu",
        "retired(退休)": "tuixiu",
        "survivor(遗属)": "survivor",
    },
    "political_status": {
        "党员": "cpc_member",
        "是": "cpc_member",
        "否": "masses",
        "预备党员": "cpc_probationary",
        "中共党员": "cpc_member",
        "共产党员": "cpc_member",
        "非党员": "masses",
        # Ticks in a 是否党员 column.
        "√": "cpc_member",
        "✓": "cpc_member",
        "×": "masses",
    },
    "life_status": {
        "在世": "alive",
        "健在": "alive",
        "已故": "deceased",
        "去世": "deceased",
        "已去世": "deceased",
        "死亡": "deceased",
        "逝世": "deceased",
        "已逝世": "deceased",
        # The answers in a 是否在世 column.
        "是": "alive",
        "否": "deceased",
        "alive": "alive",
        "deceased": "deceased",
    },
    # What rosters write in 健康状况 besides the registry's words.
    "health_status": {"良好": "good", "较好": "good", "好": "good"},
    "survivor_relation": {
        "妻子": "spouse",
        "妻": "spouse",
        "丈夫": "spouse",
        "夫": "spouse",
        "遗孀": "spouse",
        "夫妻": "spouse",
        "子": "son",
        "长子": "son",
        "次子": "son",
        "女": "daughter",
        "长女": "daughter",
        "次女": "daughter",
        "三子": "son",
        "三女": "daughter",
        "孙子": "grandchild",
        "孙女": "grandchild",
        "外孙": "grandchild",
        "外孙女": "grandchild",
    },
    "rank": {
        "正厅": "ting_zheng",
        "副厅": "ting_fu",
        "正处": "chu_zheng",
        "副处": "chu_fu",
        "正科": "ke_zheng",
        "副科": "ke_fu",
        "厅级正职": "ting_zheng",
        "厅级副职": "ting_fu",
        "处级正职": "chu_zheng",
        "处级副职": "chu_fu",
        "科级正职": "ke_zheng",
        "科级副职": "ke_fu",
    },
}
_ROWS: dict[str, list[tuple[str, ...]]] = {
    "ethnicity": [tuple(r) for r in choices_data.ETHNICITIES],
    "rank": [(c, zh, en) for c, zh, en, _w in choices_data.RANKS],
    "political_status": [tuple(r) for r in choices_data.POLITICAL_STATUSES],
    "health_status": [tuple(r) for r in choices_data.HEALTH_STATUSES],
    "survivor_relation": [tuple(r) for r in choices_data.RELATIONS],
}


def _choice_table(field: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for row in _ROWS.get(field, []):
        code = row[0]
        for word in row:
            table[fold(word).lower().replace(" ", "")] = code
        if field == "ethnicity" and row[1].endswith(_SUFFIXES):
            table[row[1][:-1]] = code  # 汉 for 汉族
    table.update(_EXTRA_CHOICES.get(field, {}))
    return table


CHOICE_FIELDS = (
    "gender",
    "ethnicity",
    "category",
    "rank",
    "political_status",
    "health_status",
    "life_status",
    "survivor_relation",
)
_TABLES = {field: _choice_table(field) for field in CHOICE_FIELDS}
_WORDS = {field: frozenset(table) for field, table in _TABLES.items()}


def choice_words(field: str) -> frozenset[str]:
    """Every word parse_choice takes for ``field`` (folded, lower case, no spaces)."""
    return _WORDS[field]


def parse_choice(field: str, value: Any) -> str:
    """The stored code for a label, a code or a usual variant; "" for an empty cell."""
    text = fold(value)
    if not text:
        return ""
    key = text.lower().replace(" ", "")
    table = _TABLES[field]
    if key in table:
        return table[key]
    raise CellError("choice", text)


_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "无", "n", "no", "false", "0", "×"}


_TAG_SEPARATORS = re.compile(r"[、,，;；/／|]+")
# What a 精细分类 cell says when a person has none: as an empty cell, it changes nothing.
_NO_TAG_WORDS = frozenset({"无", "没有", "-", "—", "——", "/", "／"})


@dataclass(frozen=True)
class TagWords:
    """The registry's tags as a cell names them: each word (name, English name, code;
    folded, lower case, no spaces) → code; and the names a problem lists."""

    codes: Mapping[str, str]
    names: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.codes)


NO_TAGS = TagWords({})


def parse_tags(value: Any, table: TagWords) -> tuple[str, ...]:
    """精细分类: names (高龄、独居), English names or codes → the codes, sorted; () for an
    empty cell or one saying none (无, -). Spaces separate names too (高龄 独居), except
    inside an English one."""
    codes = set()
    text = fold(value)
    if text in _NO_TAG_WORDS:
        return ()
    for part in _TAG_SEPARATORS.split(text):
        tokens = part.split()
        start = 0
        while start < len(tokens):
            # The longest run of words that names a tag (Living alone), else one word.
            for end in range(len(tokens), start, -1):
                word = "".join(tokens[start:end]).lower()
                if word in table.codes:
                    break
            else:
                end, word = start + 1, tokens[start].lower()
            start = end
            code = table.codes.get(word)
            if code is None:
                known = "、".join(table.names) or "—"
                raise CellError(
                    "tag",
                    tokens[end - 1],
                    _("Unknown classification %(value)s. The registry's are: %(known)s.")
                    % {"value": tokens[end - 1], "known": known},
                )
            codes.add(code)
    return tuple(sorted(codes))


_LUNAR = {"农历": True, "阴历": True, "旧历": True, "公历": False, "阳历": False, "新历": False}


def parse_lunar(value: Any) -> bool | None:
    """农历生日: 是/否, or the calendar named (农历, 公历)."""
    text = fold(value)
    if text in _LUNAR:
        return _LUNAR[text]
    try:
        return parse_bool(text)
    except CellError:
        raise CellError("lunar", text) from None


def parse_bool(value: Any) -> bool | None:
    text = fold(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError("bool", text)
