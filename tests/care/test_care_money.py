"""Money is stored in fen and shown in yuan: what a page shows reads back as what is stored."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hongxia.care.services import yuan_to_fen
from hongxia.core.templatetags.money import yuan


@pytest.mark.parametrize(
    ("fen", "shown"),
    [(0, "0.00"), (5, "0.05"), (50_000, "500.00"), (123_456_789, "1,234,567.89"), (None, "")],
)
def test_fen_are_shown_as_yuan(fen: int | None, shown: str) -> None:
    assert yuan(fen) == shown


@given(st.integers(min_value=0, max_value=10**15))
def test_a_shown_amount_typed_back_is_the_stored_amount(fen: int) -> None:
    assert yuan_to_fen(yuan(fen)) == fen
