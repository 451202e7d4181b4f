"""Money on the page: stored as integer fen, shown as yuan with two decimals (never a float)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def yuan(fen: Any) -> str:
    """12345 (fen) → "123.45"; 123456789 → "1,234,567.89"; empty stays empty."""
    if fen is None or fen == "":
        return ""
    return f"{Decimal(int(fen)) / 100:,.2f}"
