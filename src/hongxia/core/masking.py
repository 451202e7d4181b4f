"""Display masks for sensitive identifiers (GB/T 35273 practice, PIPL).

Pages and exports show a masked value unless the viewer is entitled to (and logged as having
seen) the full one: the ID as 4312**********123X, a phone as 138****5678.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

__all__ = ["mask_id", "mask_phone", "normalize_phone", "phone_problem", "tail"]

STAR = "*"


def _mask_positions(value: str, positions: list[int], keep_head: int, keep_tail: int) -> str:
    """Star the given character positions except the first ``keep_head`` and last ``keep_tail``.

    At least one position is always starred, so a masked value never equals the original.
    """
    count = len(positions)
    if keep_head + keep_tail >= count:
        keep_head = 0
        keep_tail = min(keep_tail, max(count - 1, 0))
    hidden = set(positions[keep_head : count - keep_tail])
    return "".join(STAR if i in hidden else ch for i, ch in enumerate(value))


def mask_id(number: str) -> str:
    """First 4 and last 4 characters of an ID number; under 9 characters only the last 2."""
    value = (number or "").strip()
    positions = list(range(len(value)))
    if len(value) >= 9:
        return _mask_positions(value, positions, 4, 4)
    return _mask_positions(value, positions, 0, 2)


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile; other numbers keep the first 3 and last 4 digits when they
    have at least 9, otherwise the last 2. Separators such as '-' stay where they are."""
    value = (phone or "").strip()
    if not value:
        return ""
    positions = [i for i, ch in enumerate(value) if ch.isdecimal()]
    if not positions:  # not a number at all: hide everything but the separators
        positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    if len(positions) >= 9:
        return _mask_positions(value, positions, 3, 4)
    return _mask_positions(value, positions, 0, 2)


def tail(value: str, n: int = 4) -> str:
    """The last ``n`` digits of ``value`` (full-width digits count), e.g. for "尾号 5678"."""
    if n <= 0 or not value:
        return ""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdecimal())
    return digits[-n:]


def normalize_phone(phone: str) -> str:
    """A phone as stored: full-width digits folded, spaces dropped, '+86' and '86-' prefixes
    removed from mobiles, separators between landline parts kept as '-'."""
    value = unicodedata.normalize("NFKC", phone or "").strip()
    value = "".join(ch for ch in value if not ch.isspace())
    digits = "".join(ch for ch in value if ch.isdecimal())
    if len(digits) == 13 and digits.startswith("86") and digits[2] == "1":
        return digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    return value.replace("—", "-").replace("－", "-")


_EXTENSION_WORDS = re.compile(r"转|分机|ext\.?|x", re.IGNORECASE)


def phone_problem(phone: str) -> str | None:
    """Why a phone as entered is not one, or None when it may be stored.

    Lenient with what rosters hold: separators, an extension (转 8021) and two numbers in one
    cell pass. Refused: a masked number copied from a page or an export (138****5678), which
    would overwrite the real one; words (无, 不详); fewer than 7 digits."""
    value = unicodedata.normalize("NFKC", phone or "").strip()
    if not value:
        return None
    if STAR in value:
        return _("This is a masked number (like 138****5678): enter the whole number.")
    words = _EXTENSION_WORDS.sub("", value)
    if any(ch.isalpha() for ch in words) or sum(ch.isdecimal() for ch in value) < 7:
        return _("Not a phone number: write its digits, e.g. 13812345678 or 0745-2345678.")
    if len(value) > PHONE_LENGTH:
        # Two mobiles (23 characters) do not fit: say so, not "at most 20 characters".
        return _(
            "Too long for one phone field (%(count)d characters, at most %(limit)d): keep one "
            "number here, and put another in the other phone column or in the person's "
            "contacts."
        ) % {"count": len(value), "limit": PHONE_LENGTH}
    return None


PHONE_LENGTH = 20  # the registry form's phone and landline fields
