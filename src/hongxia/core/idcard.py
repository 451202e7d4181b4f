"""Chinese resident ID numbers (GB 11643): normalise, validate, upgrade and build.

Pure functions: no database and no settings access at import time, so the importer, forms,
the API and the synthetic data generator can all share one set of rules.

Deliberately lenient about the area code: old Huaihua cards carry pre-1997 ``4330xx`` codes and
regions are renamed or merged, so an unknown or obsolete area code is never a reason to reject
a number (strict validators such as id-validator do reject them; we must not).
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

__all__ = [
    "EARLIEST_BIRTH",
    "IdInfo",
    "IdNumberError",
    "check_char",
    "is_valid",
    "make",
    "normalize",
    "parse",
]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = date(1880, 1, 1)
_DIGITS = frozenset("0123456789")

# What a spreadsheet leaves behind after treating the ID as a number: scientific notation
# ("4.31202E+17") or a float rendering ("431202193805011234.0"). The digits are already lost
# (a double holds ~15-17 significant digits), so we must never try to repair them.
_EXCEL_FLOAT = re.compile(r"\d+(?:[.,]\d*)?E[+-]?\d+|\d+[.,]\d*")

_MESSAGES: dict[str, Promise] = {
    "empty": _("Enter an ID number."),
    "length": _(
        "An ID number has 18 characters (15 digits on an old card); this one has %(length)d."
    ),
    "chars": _("An ID number may contain only digits, with an X allowed as the last character."),
    "area_code": _("The area code (the first six digits) cannot start with 0."),
    "birth_date": _("The birth date %(value)s in the ID number is not a real date."),
    "future": _("The birth date %(date)s in the ID number is in the future."),
    "too_old": _("The birth date %(date)s in the ID number is before 1880."),
    "check_digit": _("The check digit is wrong: expected %(expected)s."),
    "excel_float": _(
        "This looks like an ID number damaged by a spreadsheet (%(value)s). Format the column "
        "as text and enter the full number again."
    ),
}


def _interpolate(template: Promise, params: Mapping[str, Any]) -> str:
    return str(template) % dict(params)


# Interpolate only when the message is rendered, so it comes out in the language active then.
_interpolate_lazy = lazy(_interpolate, str)


class IdNumberError(ValueError):
    """An ID number that cannot be accepted; ``code`` is a stable slug, ``message`` is lazy.

    ``template`` and ``params`` are exposed so a form can raise
    ``ValidationError(err.template, code=err.code, params=err.params)``.
    """

    def __init__(self, code: str, params: Mapping[str, Any] | None = None) -> None:
        if code not in _MESSAGES:
            raise KeyError(f"unknown IdNumberError code {code!r}")
        self.code = code
        self.params: dict[str, Any] = dict(params or {})
        super().__init__(code, self.params)  # args keep the exception picklable

    @property
    def template(self) -> Promise:
        return _MESSAGES[self.code]

    @property
    def message(self) -> str:
        """The translated, interpolated message (a lazy string)."""
        return _interpolate_lazy(self.template, self.params)

    def __str__(self) -> str:
        return str(self.message)

    def __repr__(self) -> str:
        return f"IdNumberError({self.code!r}, {self.params!r})"


@dataclass(frozen=True)
class IdInfo:
    """What an accepted ID number tells us; ``number`` is always the 18-character form."""

    number: str
    area_code: str
    birth_date: date
    gender: str  # 'M' or 'F': the last digit of the sequence is odd for men
    upgraded_from_15: bool


def normalize(raw: str) -> str:
    """Canonical text of a typed or pasted number: ASCII, no spaces, upper-case X.

    NFKC turns full-width digits and letters (common with Chinese input methods) into ASCII
    and the ideographic space into a normal one; format characters such as zero-width spaces
    and BOMs that ride along with pasted spreadsheet cells are dropped too.
    """
    if raw.isascii() and raw.isalnum():
        return raw.upper()  # what a clean number is: NFKC and the filter below change nothing
    text = unicodedata.normalize("NFKC", raw)
    kept = (ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return "".join(kept).upper()


def check_char(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits."""
    if len(first17) != 17:
        raise IdNumberError("length", {"length": len(first17)})
    if not set(first17) <= _DIGITS:
        raise IdNumberError("chars")
    total = sum(map(operator.mul, map(int, first17), WEIGHTS))  # both 17 long: checked above
    return CHECK_CHARS[total % 11]


def _birth_date(digits8: str, today: date) -> date:
    try:
        born = date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        shown = f"{digits8[:4]}-{digits8[4:6]}-{digits8[6:8]}"
        raise IdNumberError("birth_date", {"value": shown}) from None
    if born > today:
        raise IdNumberError("future", {"date": born.isoformat()})
    if born < EARLIEST_BIRTH:
        raise IdNumberError("too_old", {"date": born.isoformat()})
    return born


def _coerce(raw: object) -> str:
    """Accept what an importer hands us; a float is a spreadsheet accident, never an ID."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, float):
        raise IdNumberError("excel_float", {"value": repr(raw)})
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if raw is None:
        raise IdNumberError("empty")
    raise IdNumberError("chars")


def parse(raw: str, *, today: date | None = None) -> IdInfo:
    """Validate a resident ID number and return its parts, upgrading 15-digit legacy numbers.

    Raises ``IdNumberError`` (and nothing else) for any input that is not an acceptable number.
    """
    text = normalize(_coerce(raw))
    if not text:
        raise IdNumberError("empty")
    if _EXCEL_FLOAT.fullmatch(text):
        raise IdNumberError("excel_float", {"value": text})
    if not set(text) <= _DIGITS | {"X"}:
        raise IdNumberError("chars")
    if len(text) not in (15, 18):
        raise IdNumberError("length", {"length": len(text)})
    if "X" in text[:-1] or (len(text) == 15 and "X" in text):
        raise IdNumberError("chars")
    if text[0] == "0":
        raise IdNumberError("area_code")

    today = today or date.today()
    upgraded = len(text) == 15
    if upgraded:
        # Legacy cards (issued up to 1999) carry a two-digit year in the 1900s and no check.
        first17 = text[:6] + "19" + text[6:]
        number = first17 + check_char(first17)
    else:
        number = text
    born = _birth_date(number[6:14], today)
    expected = check_char(number[:17])
    if number[17] != expected:
        raise IdNumberError("check_digit", {"expected": expected, "actual": number[17]})
    return IdInfo(
        number=number,
        area_code=number[:6],
        birth_date=born,
        gender="M" if int(number[16]) % 2 else "F",
        upgraded_from_15=upgraded,
    )


def is_valid(raw: str, *, today: date | None = None) -> bool:
    """True when ``parse`` would accept ``raw``."""
    try:
        parse(raw, today=today)
    except IdNumberError:
        return False
    return True


def make(area_code: str, birth: date, seq: int) -> str:
    """Build a valid 18-character number; used by the synthetic data generator and tests."""
    if len(area_code) != 6 or not set(area_code) <= _DIGITS or area_code[0] == "0":
        raise ValueError(f"area code must be 6 digits not starting with 0, got {area_code!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"sequence must be in 0..999, got {seq}")
    if not 1000 <= birth.year <= 9999:
        raise ValueError(f"birth year must have 4 digits, got {birth.year}")
    first17 = f"{area_code}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)
