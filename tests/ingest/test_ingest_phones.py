"""A roster's phone cells: what rosters write passes; a masked number copied from a page or a
masked export is refused on its row and column, and never overwrites the registered one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hongxia.ingest import services
from hongxia.people.models import Person
from tests.ingest.ingest_corpus import HEADERS, person_row, write_xlsx

COL = {h: i for i, h in enumerate(HEADERS)}


def test_a_masked_phone_is_refused_and_the_registered_one_kept(clerk: Any,
                                                               tmp_path: Path) -> None:
    row = person_row(1, phone="13812345678")
    services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "a.xlsx", [row]))
    again = list(row)
    again[COL["手机"]] = "138****5678"
    again[COL["现住址"]] = "鹤城区迎丰路2号"
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "b.xlsx", [again]))
    assert result.rejected == 1 and result.updated == 0
    [problem] = [p for p in result.problems if p.column == "手机"]
    assert problem.message == (
        "“138****5678”是脱敏后的号码（来自脱敏导出）：请填写完整号码，或删除这一列。")
    person = Person.objects.get()
    assert person.phone == "13812345678" and person.address != "鹤城区迎丰路2号"


def test_phones_as_rosters_write_them_come_in(clerk: Any, tmp_path: Path) -> None:
    rows = [person_row(1, phone="0745-2712345转8021"),
            person_row(2, name="李建国", phone="138 1234 5678")]
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "a.xlsx", rows))
    assert result.created == 2, [p.message for p in result.problems]
    assert set(Person.objects.values_list("phone", flat=True)) == {
        "0745-2712345转8021", "13812345678"}


def test_a_landline_kept_as_a_number_is_stored_as_written_and_flagged(clerk: Any,
                                                                     tmp_path: Path) -> None:
    """Excel keeps 07452712345 typed into a number cell as 7452712345: the 0 is gone, and the
    import cannot know it was there, so it says so instead of guessing."""
    rows = [person_row(1, phone="13812345678"), person_row(2, name="李建国")]
    rows[0][COL["手机"]] = 13812345678  # a mobile loses nothing
    rows[1][COL["手机"]] = 7452712345
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "a.xlsx", rows))
    assert result.created == 2
    warned = [(p.row, p.column, p.message) for p in result.problems if p.severity == "warning"]
    # Masked in the words, as the job's page shows them to the county's other clerks.
    assert warned == [(6, "手机", "745***2345 以数字而非文本保存：固定电话开头的 0（0745***2345？）"
                                  "可能已丢失。请核对，并将该列设为文本格式。")]
    assert Person.objects.get(name="李建国").phone == "7452712345"
