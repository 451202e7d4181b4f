"""docs/import.md tells clerks which headers the importer knows and which field names a mapping
file takes: it is checked against the importer's own tables, so it cannot fall behind them."""

from __future__ import annotations

import re
from pathlib import Path

from hongxia.ingest import rules

DOC = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text(encoding="utf-8")


def test_the_guide_lists_every_header_the_importer_knows() -> None:
    table = " ".join(line for line in DOC.splitlines() if line.startswith("| "))
    cells = {w.strip() for w in re.split(r"[|,]", table)}
    missing = {word for words in rules.FIELDS.values() for word in words} - cells
    assert not missing, f"docs/import.md does not list these headers: {sorted(missing)}"


def test_the_guide_names_every_field_a_mapping_file_takes() -> None:
    listed = DOC.split("The field names:", 1)[1].split("\n\n", 1)[0]
    names = {n.strip(" .\n") for n in listed.replace("\n", " ").split(",")}
    assert names == set(rules.FIELDS) - rules.IGNORED_FIELDS
