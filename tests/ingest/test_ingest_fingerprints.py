"""Import fingerprints: a row imported again is recognised unchanged without being checked
anew, and only while the person's record is exactly as an import left it."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from hongxia.core import versions
from hongxia.core.models import Region
from hongxia.ingest import fingerprints, services
from hongxia.ingest.models import RowFingerprint
from hongxia.people import services as people_services
from hongxia.people.models import Person
from tests.ingest.ingest_corpus import HEADERS, person_row, write_xlsx

COL = {h: i for i, h in enumerate(HEADERS)}


def _rows(n: int = 3) -> list[list[Any]]:
    names = ["张三丰", "李建国", "曾国华", "王秀英"]
    return [
        person_row(
            i,
            name=names[(i - 1) % len(names)],
            birth=datetime.date(1940, 1, 1) + datetime.timedelta(days=40 * i),
            phone=f"1380745{i:04d}",
        )
        for i in range(1, n + 1)
    ]


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Row numbers build_person judged (checked the whole way)."""
    seen: list[int] = []
    real = services.build_person

    def spy(data: services.RowData, *args: Any, **kwargs: Any) -> Person | None:
        seen.append(data.number)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(services, "build_person", spy)
    return seen


def test_an_unchanged_row_is_recognised_without_being_checked_again(
    clerk: Any, tmp_path: Path, judged: list[int]
) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(3))
    first = services.roster_import(actor=clerk, path=path)
    assert first.created == 3 and RowFingerprint.objects.count() == 3
    judged.clear()
    second = services.roster_import(actor=clerk, path=path)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 3, 0)
    assert judged == []


def test_a_record_edited_since_the_import_is_a_change_again(
    clerk: Any, tmp_path: Path, judged: list[int]
) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(3))
    services.roster_import(actor=clerk, path=path)
    person = Person.objects.get(name="李建国")
    file_address = person.address
    people_services.person_update(actor=clerk, person=person, data={"address": "迎丰路1号"})
    assert not RowFingerprint.objects.filter(person=person).exists()
    judged.clear()
    second = services.roster_import(actor=clerk, path=path)
    assert (second.updated, second.unchanged) == (1, 2)
    assert judged == [6]  # only the edited person's row (the header is row 4)
    person.refresh_from_db()
    assert person.address == file_address
    assert RowFingerprint.objects.filter(person=person).exists()  # remembered again
    judged.clear()
    assert services.roster_import(actor=clerk, path=path).unchanged == 3
    assert judged == []


def test_any_write_to_the_record_forgets_its_fingerprint(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(3))
    services.roster_import(actor=clerk, path=path)
    # Past every service: a bulk update, as a script or a data migration would write.
    Person.objects.filter(name="张三丰").update(phone="13900000000")
    assert RowFingerprint.objects.count() == 2
    second = services.roster_import(actor=clerk, path=path)
    assert (second.updated, second.unchanged) == (1, 2)
    assert Person.objects.get(name="张三丰").phone == "13807450001"
    Person.objects.filter(name="李建国").delete()
    assert RowFingerprint.objects.count() == 2


def test_the_same_values_under_other_columns_are_checked_again(
    clerk: Any, tmp_path: Path, judged: list[int]
) -> None:
    rows = _rows(2)
    services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "a.xlsx", rows))
    judged.clear()
    fewer = [h for h in HEADERS if h != "手机"]
    trimmed = [[r[COL[h]] for h in fewer] for r in rows]
    result = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "b.xlsx", trimmed, headers=fewer)
    )
    assert (result.updated, result.unchanged) == (0, 2)
    assert judged == [5, 6]


def test_a_row_changed_in_the_file_is_checked_and_refused_like_before(
    clerk: Any, tmp_path: Path
) -> None:
    rows = _rows(2)
    services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "a.xlsx", rows))
    rows[1][COL["出生年月"]] = "1950.01"  # no longer the ID's birth month
    result = services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "b.xlsx", rows))
    assert (result.unchanged, result.rejected) == (1, 1)
    assert [p.row for p in result.problems if p.severity == "error"] == [6]


def test_a_recognised_row_still_meets_the_region_and_duplicate_checks(
    clerk: Any, other_clerk: Any, tmp_path: Path
) -> None:
    rows = _rows(2)
    services.roster_import(actor=clerk, path=write_xlsx(tmp_path / "a.xlsx", rows))
    refused = services.roster_import(actor=other_clerk, path=write_xlsx(tmp_path / "b.xlsx", rows))
    assert (refused.unchanged, refused.rejected) == (0, 2)
    twice = services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "c.xlsx", [*rows, rows[0]])
    )
    assert (twice.unchanged, twice.rejected) == (2, 1)
    [(row, message)] = [(p.row, p.message) for p in twice.problems if p.severity == "error"]
    assert row == 7 and "5" in message  # the first of the two is row 5


def test_a_dry_run_remembers_nothing(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(3))
    assert services.roster_import(actor=clerk, path=path, dry_run=True).created == 3
    assert not RowFingerprint.objects.exists()


def test_without_the_trigger_fingerprints_are_not_trusted(clerk: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(2))
    services.roster_import(actor=clerk, path=path)
    with connection.cursor() as cur:
        for sql in fingerprints.trigger_sql(connection.vendor)[1]:
            cur.execute(sql)
    assert not fingerprints.installed(connection)
    Person.objects.filter(name="张三丰").update(address="迎丰路1号")  # unseen: no trigger
    assert RowFingerprint.objects.count() == 2
    second = services.roster_import(actor=clerk, path=path)
    assert (second.updated, second.unchanged) == (1, 1)
    fingerprints.ensure(connection)  # what every migrate does
    assert fingerprints.installed(connection)
    assert not RowFingerprint.objects.exists()  # written while nothing watched the records


def test_an_import_raises_the_registry_version_once_per_batch(clerk: Any, tmp_path: Path) -> None:
    def version() -> int:
        return int(versions.current(["people"]).split("=")[1])

    start = version()
    services.roster_import(
        actor=clerk, path=write_xlsx(tmp_path / "r.xlsx", _rows(4)), batch_size=2
    )
    assert version() == start + 2  # not once per row: the registry's page cache sees the rows


@pytest.fixture
def converted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Row numbers convert_row turned into values."""
    seen: list[int] = []
    real = services.convert_row

    def spy(number: int, *args: Any, **kwargs: Any) -> services.RowData:
        seen.append(number)
        return real(number, *args, **kwargs)

    monkeypatch.setattr(services, "convert_row", spy)
    return seen


def test_the_same_cells_again_are_not_even_converted(
    clerk: Any, tmp_path: Path, converted: list[int]
) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(3))
    services.roster_import(actor=clerk, path=path)
    converted.clear()
    second = services.roster_import(actor=clerk, path=path)
    assert (second.unchanged, second.rejected, second.problems) == (3, 0, [])
    assert converted == []


def test_a_row_with_something_to_report_reports_it_every_time(
    clerk: Any, tmp_path: Path, converted: list[int]
) -> None:
    rows = _rows(2)
    rows[0][COL["公民身份号码"]] = "431202400210123"  # upgraded to 18 digits: an info line
    rows[0][COL["出生年月"]] = "1940.02.10"
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    first = services.roster_import(actor=clerk, path=path)
    converted.clear()
    second = services.roster_import(actor=clerk, path=path)
    assert (second.unchanged, second.rejected) == (2, 0)
    assert converted == [5]  # the row with the info line, converted to say it again
    assert [(p.row, p.message) for p in second.problems] == [
        (p.row, p.message) for p in first.problems
    ]


def test_a_changed_region_table_converts_the_cells_again(
    clerk: Any, tmp_path: Path, converted: list[int]
) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", _rows(2))
    services.roster_import(actor=clerk, path=path)
    Region.objects.filter(code="431202").update(former_names="红江")  # names resolve anew
    converted.clear()
    second = services.roster_import(actor=clerk, path=path)
    assert second.unchanged == 2
    assert converted == [5, 6]


def test_fingerprints_of_older_rules_are_not_trusted(
    clerk: Any, tmp_path: Path, converted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file imported before a fix (199805 read as a day in 2447) must come out right when
    # imported again: the cells are converted anew, not recognised by their old fingerprint.
    path = write_xlsx(tmp_path / "r.xlsx", _rows(2))
    services.roster_import(actor=clerk, path=path)
    monkeypatch.setattr(fingerprints, "VERSION", fingerprints.VERSION + 1)
    converted.clear()
    second = services.roster_import(actor=clerk, path=path)
    assert (second.unchanged, second.updated) == (2, 0)
    assert converted == [5, 6]
