"""Display masks: ID 4312**********123X and phone 138****5678 (DOMAIN.md, GB/T 35273)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hongxia.core.masking import mask_id, mask_phone, tail


def test_domain_examples() -> None:
    assert mask_id("43120219380501123X") == "4312**********123X"
    assert mask_phone("13812345678") == "138****5678"


def test_mask_id_lengths() -> None:
    assert mask_id("431202380501123") == "4312*******1123"
    assert mask_id("123456789") == "1234*6789"
    assert mask_id("12345678") == "******78"
    assert mask_id("12") == "*2"
    assert mask_id("1") == "*"
    assert mask_id("") == ""


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("0745-2712345", "074*-***2345"),
        ("+86 138 1234 5678", "+86 1** **** 5678"),
        ("074527123", "074**7123"),
        ("2712345", "*****45"),
        ("110", "*10"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_tail() -> None:
    assert tail("13812345678") == "5678"
    assert tail("43120219380501123X") == "1123"
    assert tail("138-1234-5678", 2) == "78"
    assert tail("１３８１２３４５６７８") == "5678"
    assert tail("123", 4) == "123"
    assert tail("5678", 0) == ""
    assert tail("") == ""


@settings(database=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mobile_property(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]


@settings(database=None)
@given(st.text(min_size=1))
def test_masks_never_return_the_original(value: str) -> None:
    # A value already made of stars can be its own mask ("*a" hides its "*"); nothing that
    # is masked (ID numbers, phones) contains a star.
    assume("*" not in value)
    if value.strip():
        assert mask_id(value) != value.strip()
    assert len(mask_phone(value)) == len(value.strip())


# --- what may be stored as a phone ----------------------------------------------------------

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
landlines = st.from_regex(r"0[1-9][0-9]{1,2}-[2-8][0-9]{6,7}", fullmatch=True)


@pytest.mark.parametrize("phone", [
    "13812345678", "138 1234 5678", "+86 138-1234-5678", "0745-2712345", "(0745)2712345",
    "0745-2712345转8021", "0745-2712345 ext. 21", "2712345、2712346",
    "１３８１２３４５６７８", "2712345", "",
])
def test_phones_as_rosters_write_them_may_be_stored(phone: str) -> None:
    from hongxia.core.masking import phone_problem

    assert phone_problem(phone) is None


@pytest.mark.parametrize(("phone", "problem"), [
    ("138****5678", "masked"), ("074*-***2345", "masked"), ("无", "words"), ("不详", "words"),
    ("abc", "words"), ("123456", "words"), ("电话13812345678", "words"),
    # A mobile and a landline in one cell: more than the registry's 20 characters.
    ("13812345678、0745-2712345", "long"),
])
def test_not_phones_are_refused_and_a_masked_one_says_so(phone: str, problem: str) -> None:
    from django.utils import translation

    from hongxia.core.masking import phone_problem

    with translation.override("zh-hans"):
        message = phone_problem(phone)
    assert message is not None
    assert ("遮盖" in message) == (problem == "masked"), message


@settings(max_examples=200)
@given(st.one_of(mobiles, landlines))
def test_every_real_number_passes_and_its_mask_never_does(phone: str) -> None:
    from hongxia.core.masking import normalize_phone, phone_problem

    assert phone_problem(phone) is None and phone_problem(normalize_phone(phone)) is None
    assert phone_problem(mask_phone(phone)) is not None


@given(st.text())
def test_phone_problem_answers_any_text(text: str) -> None:
    from hongxia.core.masking import phone_problem

    assert phone_problem(text) is None or isinstance(phone_problem(text), str)
