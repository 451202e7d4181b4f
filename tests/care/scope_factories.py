"""One row of each care model in a given county, marked, for the foundation's scope walk."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from hongxia.care.models import (
    AidPayment,
    AidProgramme,
    Ceremony,
    Honoree,
    Leader,
    Pairing,
    ServicePlan,
    TaskRow,
    Visit,
    VisitCampaign,
    VisitRule,
    VisitTask,
)
from tests.factories import PersonFactory, UserFactory


def _person(region: str, marker: str, **extra: Any) -> Any:
    # A fixed birth date: the factory's sequence would walk into the future over a long walk.
    return PersonFactory(
        region_id=region, name=marker, birth_date=datetime.date(1944, 3, 3), **extra
    )


_seq = itertools.count(1)


def _rule(region: str, marker: str) -> VisitRule:
    return VisitRule.objects.create(
        region_id=region,
        code=f"r{region}-{next(_seq)}",
        name=marker,
        trigger="periodic",
        times_per_year=1,
    )


def _leader(region: str, marker: str) -> Leader:
    return Leader.objects.create(region_id=region, name=marker, post=marker, unit=marker)


def _pairing(region: str, marker: str) -> Pairing:
    person = _person(region, marker, category="lixiu")
    return Pairing.objects.create(
        person=person,
        leader=_leader(region, marker),
        region_id=region,
        start=datetime.date(2026, 1, 1),
    )


def _task(region: str, marker: str) -> VisitTask:
    today = timezone.localdate()
    return VisitTask.objects.create(
        rule=_rule(region, marker),
        person=_person(region, marker),
        region_id=region,
        period_key="2026",
        opens=today - datetime.timedelta(days=1),
        due=today,
        owner="county",
        owner_region_id=region,
    )


def _campaign(region: str, marker: str) -> VisitCampaign:
    today = timezone.localdate()
    return VisitCampaign.objects.create(
        rule=_rule(region, marker),
        period_key=str(today.year),
        region_id=region,
        lo=region,
        hi=region[:-1] + str(int(region[-1]) + 1),
        opens=today - datetime.timedelta(days=1),
        due=today,
        planned_on=today,
        admits_until=timezone.now() + datetime.timedelta(days=1),
        owner="county",
    )


def _derived_task(region: str, marker: str) -> TaskRow:
    """A task derived from a campaign (not stored): the walk reaches it by its derived id."""
    person = _person(region, marker)
    campaign = _campaign(region, marker)
    return TaskRow.objects.get(person=person, rule_id=campaign.rule_id)


def _visit(region: str, marker: str) -> Visit:
    return Visit.objects.create(
        person=_person(region, marker),
        region_id=region,
        date=timezone.localdate(),
        mode="home",
        visitors=marker,
        notes=marker,
    )


def _plan(region: str, marker: str) -> ServicePlan:
    return ServicePlan.objects.create(
        person=_person(region, marker),
        region_id=region,
        needs=marker,
        measures=marker,
        responsible=marker,
        review_date=timezone.localdate(),
    )


def _user(region: str) -> Any:
    return UserFactory(username=f"care_factory_{region}")


def _programme(region: str, marker: str) -> AidProgramme:
    return AidProgramme.objects.create(
        region_id=region,
        name=marker,
        kind="festival",
        year=2026,
        budget_fen=1_000_000,
        amount_min_fen=10_000,
        amount_max_fen=100_000,
        status="approved",
        created_by=_user(region),
    )


def _payment(region: str, marker: str) -> AidPayment:
    return AidPayment.objects.create(
        programme=_programme(region, marker),
        person=_person(region, marker),
        region_id=region,
        period="2026",
        amount_fen=10_000,
        status="paid",
        applied_by=_user(region),
        paid_on=timezone.localdate(),
        reason=marker,
    )


def _ceremony(region: str, marker: str) -> Ceremony:
    return Ceremony.objects.create(
        region_id=region, date=timezone.localdate(), place=marker, unit=marker
    )


def _honoree(region: str, marker: str) -> Honoree:
    return Honoree.objects.create(
        ceremony=_ceremony(region, marker), person=_person(region, marker), region_id=region
    )


SCOPE_FACTORIES: dict[type[Any], Callable[[str, str], Any]] = {
    VisitRule: _rule,
    Leader: _leader,
    Pairing: _pairing,
    VisitTask: _task,
    VisitCampaign: _campaign,
    TaskRow: _derived_task,
    Visit: _visit,
    ServicePlan: _plan,
    AidProgramme: _programme,
    AidPayment: _payment,
    Ceremony: _ceremony,
    Honoree: _honoree,
}
