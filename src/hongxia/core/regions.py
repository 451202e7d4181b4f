"""Region codes (GB/T 2260) as prefixes: a user's scope is every code that starts with theirs."""

LEVELS = ("province", "city", "county", "town", "community")
PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "town": 9, "community": 12}


def level_of(code: str) -> str:
    """The level a code denotes: 430000 province, 431200 city, 431202 county, 9 digits town."""
    if len(code) == 6:
        if code.endswith("0000"):
            return "province"
        if code.endswith("00"):
            return "city"
        return "county"
    if len(code) == 9:
        return "town"
    if len(code) == 12:
        return "community"
    raise ValueError(f"not a region code: {code!r}")


def prefix_of(code: str) -> str:
    return code[: PREFIX_LENGTH[level_of(code)]]


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """[low, high) bounds so that `low <= code < high` means `code.startswith(prefix)`.

    A range uses the primary-key index on both SQLite and PostgreSQL, where LIKE 'p%' does not
    (SQLite's LIKE ... ESCAPE and PostgreSQL's non-C collations both skip the index).
    """
    from hongxia.core.pinyin import prefix_upper_bound

    return prefix, prefix_upper_bound(prefix)
