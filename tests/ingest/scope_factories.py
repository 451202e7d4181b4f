"""One row of each ingest model in a given county, for the scope walk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hongxia.ingest.models import ImportJob, MergeCandidate
from tests.factories import PersonFactory


def _job(region: str, marker: str) -> ImportJob:
    return ImportJob.objects.create(region_id=region, filename=marker, status="done")


def _candidate(region: str, marker: str) -> MergeCandidate:
    person = PersonFactory(region_id=region, name=marker)
    return MergeCandidate.objects.create(
        region_id=region, person=person, name=marker, data={"name": marker}
    )


SCOPE_FACTORIES: dict[type[Any], Callable[[str, str], Any]] = {
    ImportJob: _job,
    MergeCandidate: _candidate,
}
